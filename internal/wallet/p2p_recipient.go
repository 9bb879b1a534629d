package wallet

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/store"
)

// recipient finds the user who may receive a transfer at email, counting
// misses against the sender: every lookup first claims one of the
// sender's recipientMissesPerDayMax misses of the rolling day, and a
// lookup that finds a recipient gives its claim back. Claiming first
// means that a sender past the limit learns nothing about the address,
// and that parallel lookups cannot all pass a count read before any of
// them stored its miss (hardening #10 item 18).
func (s *Service) recipient(ctx context.Context, fromUserID, email string) (identity.User, error) {
	claim, err := s.claimRecipientMiss(ctx, fromUserID)
	if err != nil {
		return identity.User{}, err
	}
	to, err := s.id.UserByEmail(ctx, email)
	if err != nil && apperr.CodeOf(err) != apperr.NotFound {
		s.releaseLimit(ctx, claim) // not a miss: the lookup failed
		return identity.User{}, err
	}
	ok := err == nil && to.ID != fromUserID && to.KYCStatus == identity.KYCVerified
	if ok {
		ok = s.CheckFrozen(ctx, to.ID) == nil
	}
	if !ok {
		return identity.User{}, errNoRecipient() // the claim stays: a miss
	}
	s.releaseLimit(ctx, claim)
	return to, nil
}

// claimRecipientMiss stores one recipient miss of the sender, unless the
// sender already has recipientMissesPerDayMax in the rolling day
// (apperr.RateLimited), and returns its id. The count and the insert run
// in one transaction under the sender's limit row lock (as reserve does):
// on PostgreSQL at READ COMMITTED a bare count-then-insert lets a parallel
// burst through.
func (s *Service) claimRecipientMiss(ctx context.Context, fromUserID string) (string, error) {
	id := newID("lim_")
	now := s.now()
	var refused bool
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		refused = false
		if _, err := tx.Exec(ctx, `INSERT INTO wallet_limit_users (user_id, version) VALUES (?, 0) ON CONFLICT (user_id) DO NOTHING`, fromUserID); err != nil {
			return fmt.Errorf("wallet: limit row: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE wallet_limit_users SET version = version + 1 WHERE user_id = ?`, fromUserID); err != nil {
			return fmt.Errorf("wallet: limit lock: %w", err)
		}
		var misses int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM wallet_limit_usage WHERE user_id = ? AND flow = ? AND created_at > ?`,
			fromUserID, flowRecipientMiss, ms(now.Add(-dayWindow))).Scan(&misses); err != nil {
			return fmt.Errorf("wallet: recipient misses: %w", err)
		}
		if misses >= recipientMissesPerDayMax {
			refused = true
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO wallet_limit_usage (id, user_id, flow, amount, created_at) VALUES (?, ?, ?, 1, ?)`,
			id, fromUserID, flowRecipientMiss, ms(now)); err != nil {
			return fmt.Errorf("wallet: count recipient miss: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if refused {
		e := apperr.E(apperr.RateLimited, "too many unknown recipients; try again later").JA("宛先の確認回数が上限に達しました。しばらくしてから再度お試しください")
		e.RetryAfter = time.Hour
		return "", e
	}
	return id, nil
}
