package wallet

import (
	"context"

	"github.com/saifu-pay/saifu/internal/activity"
)

// The wallet's events for the operators' incident search (package
// activity), timed by when each was asked for: payments to merchants and
// P2P transfers sent, that succeeded. Each reads the (status, created_at)
// index its recovery already uses.
var activitySources = []activity.Source{
	{Kind: activity.Payment, SQL: `SELECT id, user_id, created_at, amount, 'merchant:' || merchant_id FROM wallet_payments
		WHERE status = '` + StatusSucceeded + `' AND created_at >= ? AND created_at <= ?`},
	{Kind: activity.P2P, SQL: `SELECT id, from_user, created_at, amount, 'to:' || to_user FROM wallet_transfers
		WHERE status = '` + StatusSucceeded + `' AND created_at >= ? AND created_at <= ?`},
}

// Activity returns the wallet's events of q's kinds (the others it leaves
// to their producers), at most q.Limit+1 (activity.Read).
func (s *Service) Activity(ctx context.Context, q activity.Query) ([]activity.Event, error) {
	return activity.Read(ctx, s.db, q, activitySources)
}
