package wallet

import (
	"context"
	"fmt"

	"github.com/saifu-pay/saifu/internal/ledger"
)

// Compensate pays amount into the user's money from the compensation
// system account, as the user's item of compensation compensationID
// (approved by two operators, package ops). The ledger request's key is
// the pair, so calling it again — a retry, a second approval, a job after
// a crash — pays nothing more; the history line has a fixed id too. The
// user is told the first time (a crash between the payment and the notice
// loses the notice, never the money).
func (s *Service) Compensate(ctx context.Context, compensationID, userID string, amount int64) error {
	if err := checkAmount(amount); err != nil {
		return err
	}
	money, _, err := s.Accounts(ctx, userID)
	if err != nil {
		return err
	}
	sys, err := s.SystemAccount(ctx, SystemCompensation)
	if err != nil {
		return err
	}
	res, err := s.ledger.Commit(ctx, ledger.Request{Scope: "ops:compensation", Key: "compensation:" + compensationID + ":" + userID,
		Transfers: []ledger.Transfer{{Kind: "compensation", Debit: sys.ID, Credit: money.ID, Amount: amount, Currency: s.currency,
			Metadata: map[string]string{"compensation_id": compensationID}}}})
	if err != nil {
		return fmt.Errorf("wallet: compensate %s: %w", userID, err)
	}
	if err := s.Record(ctx, userID, Transaction{ID: "txn_" + compensationID + "_" + userID, Type: "compensation", RefID: compensationID,
		Amount: amount, Direction: "in", Status: StatusSucceeded, Counterparty: "saifu"}); err != nil {
		return err
	}
	if !res.Replayed {
		if err := s.Notify(ctx, userID, "wallet_compensation", map[string]any{"Amount": amount, "CompensationID": compensationID}); err != nil {
			s.log.Warn("wallet: tell a compensated user", "user", userID, "err", err)
		}
	}
	return nil
}
