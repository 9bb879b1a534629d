package funding

import (
	"context"

	"github.com/saifu-pay/saifu/internal/activity"
)

// Funding's events for the operators' incident search (package
// activity), timed by when each was asked for: cards registered and bank
// accounts linked (active, or removed since: they were the user's), card
// and bank top-ups that succeeded, withdrawals that hold, send or sent
// money (not the failed or cancelled). Each reads one index of migration
// 020.
var activitySources = []activity.Source{
	{Kind: activity.CardRegistration, SQL: `SELECT id, user_id, created_at, 0, brand || ' ' || last4 FROM funding_cards
		WHERE status IN ('` + CardActive + `', '` + CardRemoved + `') AND created_at >= ? AND created_at <= ?`},
	{Kind: activity.BankLink, SQL: `SELECT id, user_id, created_at, 0, 'bank:' || bank_code FROM funding_bank_links
		WHERE status IN ('` + LinkActive + `', '` + LinkRemoved + `') AND created_at >= ? AND created_at <= ?`},
	{Kind: activity.CardTopup, SQL: topupEventsSQL(SourceCard)},
	{Kind: activity.BankTopup, SQL: topupEventsSQL(SourceBank)},
	{Kind: activity.Withdrawal, SQL: `SELECT id, user_id, created_at, amount, 'bank_link:' || bank_link_id FROM funding_withdrawals
		WHERE status IN ('` + WithdrawalHeld + `', '` + WithdrawalProcessing + `', '` + WithdrawalSucceeded + `') AND created_at >= ? AND created_at <= ?`},
}

func topupEventsSQL(source string) string {
	return `SELECT id, user_id, created_at, amount, source_type || ':' || source_id FROM funding_topups
		WHERE source_type = '` + source + `' AND status = '` + StatusSucceeded + `' AND created_at >= ? AND created_at <= ?`
}

// Activity returns funding's events of q's kinds (the others it leaves to
// their producers), at most q.Limit+1 (activity.Read).
func (s *Service) Activity(ctx context.Context, q activity.Query) ([]activity.Event, error) {
	return activity.Read(ctx, s.db, q, activitySources)
}
