package identity

import (
	"context"
	"fmt"

	"github.com/saifu-pay/saifu/internal/store"
)

// Profile is what GET /api/v1/me shows: the user and their factors.
type Profile struct {
	User
	TOTP              bool
	Passkeys          int
	RecoveryCodesLeft int
}

// Profile returns the user's profile.
func (s *Service) Profile(ctx context.Context, userID string) (Profile, error) {
	var p Profile
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		a, err := accountByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		p.User, p.TOTP = a.User, a.totpSecret != ""
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM passkeys WHERE user_id = ?`, userID).Scan(&p.Passkeys); err != nil {
			return fmt.Errorf("identity: count passkeys: %w", err)
		}
		p.RecoveryCodesLeft, err = recoveryCodesLeft(ctx, tx, userID)
		return err
	})
	return p, err
}
