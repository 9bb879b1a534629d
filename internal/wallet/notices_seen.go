package wallet

import (
	"context"
	"fmt"

	"github.com/saifu-pay/saifu/internal/store"
)

// UnreadMax bounds the count of unread notifications: past it the count
// is shown as "UnreadMax+" and no more rows are counted.
const UnreadMax = 99

// UnreadNotifications counts the user's notifications newer than the
// last MarkNotificationsSeen, at most UnreadMax+1.
func (s *Service) UnreadNotifications(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM wallet_notifications
		WHERE user_id = ? AND created_at > COALESCE((SELECT seen_at FROM wallet_notices_seen WHERE user_id = ?), 0)
		LIMIT ?) AS unread`, userID, userID, UnreadMax+1).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("wallet: count unread notifications: %w", err)
	}
	return n, nil
}

// MarkNotificationsSeen records that the user saw every notification
// until now.
func (s *Service) MarkNotificationsSeen(ctx context.Context, userID string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO wallet_notices_seen (user_id, seen_at) VALUES (?, ?)
			ON CONFLICT (user_id) DO UPDATE SET seen_at = excluded.seen_at`, userID, ms(s.now()))
		if err != nil {
			return fmt.Errorf("wallet: mark notifications seen: %w", err)
		}
		return nil
	})
}
