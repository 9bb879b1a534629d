package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// auditDetailBytesMax bounds the free-text detail of an audit event.
const auditDetailBytesMax = 1000

// AuditEvent is one row of the append-only audit table: who (Actor: a
// user id, "system", or an operator), about which user, what, when, and
// from where.
type AuditEvent struct {
	UserID    string // the account the event concerns
	Actor     string // who did it
	Action    string // e.g. "password.reset", "totp.added"
	IP        string
	UserAgent string
	Detail    string // never a secret
	At        time.Time
}

// Audit appends e in tx: the event is recorded iff the change it describes
// commits. The table refuses updates and deletes (database triggers).
func (s *Service) Audit(ctx context.Context, tx *store.Tx, e AuditEvent) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	if e.Actor == "" {
		e.Actor = e.UserID
	}
	if len(e.Detail) > auditDetailBytesMax {
		e.Detail = e.Detail[:auditDetailBytesMax]
	}
	if len(e.UserAgent) > userAgentBytesMax {
		e.UserAgent = e.UserAgent[:userAgentBytesMax]
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_events (id, at, user_id, actor, action, ip, user_agent, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		newID("aud"), e.At.UnixMilli(), e.UserID, e.Actor, e.Action, e.IP, e.UserAgent, e.Detail)
	if err != nil {
		return fmt.Errorf("identity: audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditLog returns the newest audit events of a user, newest first, at
// most limit (≤ 500).
func (s *Service) AuditLog(ctx context.Context, userID string, limit int) ([]AuditEvent, error) {
	limit = min(max(limit, 1), 500)
	rows, err := s.db.Query(ctx, `SELECT user_id, actor, action, ip, user_agent, detail, at FROM audit_events
		WHERE user_id = ? ORDER BY at DESC, id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("identity: read audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var at int64
		if err := rows.Scan(&e.UserID, &e.Actor, &e.Action, &e.IP, &e.UserAgent, &e.Detail, &at); err != nil {
			return nil, fmt.Errorf("identity: read audit: %w", err)
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
