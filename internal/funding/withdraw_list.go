package funding

import (
	"context"
	"fmt"
)

// heldListMax bounds the held withdrawals HeldWithdrawals returns (a user
// has few: each reserves money, and the limits bound their sum).
const heldListMax = 100

// HeldWithdrawals returns userID's withdrawals that are held or still
// processing (their money reserved, not yet at the bank), oldest first:
// what the operators' user page shows as holds.
func (s *Service) HeldWithdrawals(ctx context.Context, userID string) ([]Withdrawal, error) {
	rows, err := s.db.Query(ctx, `SELECT `+wdCols+` FROM funding_withdrawals WHERE user_id = ? AND status IN (?, ?)
		ORDER BY created_at, id LIMIT ?`, userID, WithdrawalHeld, WithdrawalProcessing, heldListMax)
	if err != nil {
		return nil, fmt.Errorf("funding: list held withdrawals: %w", err)
	}
	defer rows.Close()
	var out []Withdrawal
	for rows.Next() {
		w, err := scanWithdrawal(rows)
		if err != nil {
			return nil, fmt.Errorf("funding: list held withdrawals: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}
