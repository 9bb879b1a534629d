package ops

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// Session is an authenticated operator session. Operator (roles included)
// is read afresh on every Authenticate, so a role change holds at once.
type Session struct {
	ID        string
	Operator  Operator
	CreatedAt time.Time
	ExpiresAt time.Time
}

// actor names the session's operator in the audit log.
func (s Session) actor() string { return "operator:" + s.Operator.ID }

var errNoSession = apperr.E(apperr.Unauthenticated, "operator session required: log in at POST /ops/api/login").JA("オペレーターとしてログインしてください")

// Authenticate returns the live session of token and marks it used. A
// token that is not an operator session's (a user's or a merchant's
// included), ended, past SessionAbsolute since login or unused for
// SessionIdle is apperr.Unauthenticated; an expired one is ended.
func (o *Operators) Authenticate(ctx context.Context, token string) (Session, error) {
	if !validToken(token, sessionTokenPrefix) {
		return Session{}, errNoSession
	}
	now := o.now()
	var (
		sess    Session
		refused bool
	)
	err := o.db.Write(ctx, func(tx *store.Tx) error {
		refused = false
		var opID string
		var created, lastSeen, expires, ended int64
		err := tx.QueryRow(ctx, `SELECT id, operator_id, created_at, last_seen_at, expires_at, ended_at FROM ops_sessions WHERE token_hash = ?`,
			hashToken(token)).Scan(&sess.ID, &opID, &created, &lastSeen, &expires, &ended)
		if errors.Is(err, store.ErrNoRows) {
			refused = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("ops: read session: %w", err)
		}
		if ended != 0 {
			refused = true
			return nil
		}
		if now.UnixMilli() >= expires || now.Sub(time.UnixMilli(lastSeen)) >= o.cfg.SessionIdle {
			refused = true
			_, err := tx.Exec(ctx, `UPDATE ops_sessions SET ended_at = ? WHERE id = ? AND ended_at = 0`, now.UnixMilli(), sess.ID)
			if err != nil {
				return fmt.Errorf("ops: end session: %w", err)
			}
			return nil
		}
		if sess.Operator, err = operatorByID(ctx, tx, opID); err != nil {
			return err
		}
		if sess.Operator.Status != StatusActive {
			refused = true
			return nil
		}
		sess.CreatedAt, sess.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
		if _, err := tx.Exec(ctx, `UPDATE ops_sessions SET last_seen_at = ? WHERE id = ?`, now.UnixMilli(), sess.ID); err != nil {
			return fmt.Errorf("ops: touch session: %w", err)
		}
		return nil
	})
	if err != nil {
		return Session{}, err
	}
	if refused {
		return Session{}, errNoSession
	}
	return sess, nil
}

// Logout ends the session, and audits it.
func (o *Operators) Logout(ctx context.Context, s Session, c Client) error {
	now := o.now()
	return o.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE ops_sessions SET ended_at = ? WHERE id = ? AND ended_at = 0`, now.UnixMilli(), s.ID); err != nil {
			return fmt.Errorf("ops: end session: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: s.actor(), Action: "operator.logout",
			Target: "operator:" + s.Operator.ID, IP: c.IP, UserAgent: c.userAgent(), Details: "session=" + s.ID})
	})
}
