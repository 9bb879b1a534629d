package funding

import (
	"context"
	"errors"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
)

// systemBank names the ledger account mirroring a bank.
func systemBank(code string) string { return "bank:" + code }

// BankTopup tops up userID's money from one of their active bank links.
// Order: the top-up is recorded as processing, the bank is debited
// (idempotency key from the top-up id), then the ledger is credited (key
// from the same id). A refusal by the bank ends it failed with nothing
// moved; an unknown answer, or a crash after the debit, leaves it
// processing for Reconcile, which repeats both keyed steps.
// During a cooling-off period the session must have stepped up with a
// second factor older than the period (stepup.go). A top-up the risk
// rules hold is recorded held, nothing moved, for a person's review
// (ReviewTopup).
// Errors: apperr.NotFound (link), apperr.Invalid (amount),
// apperr.LimitExceeded, apperr.CapabilityDisabled, apperr.StepUpRequired.
func (s *Service) BankTopup(ctx context.Context, sess identity.Session, linkID string, amount int64) (Topup, error) {
	// The session as stored decides the cooling-off step-up: a copy that
	// claims a trusted factor lifts nothing.
	sess, err := s.users.Current(ctx, sess)
	if err != nil {
		return Topup{}, err
	}
	userID := sess.UserID
	if err := s.wallet.CheckCapability(ctx, ops.CapBankTopup); err != nil {
		return Topup{}, err
	}
	// A frozen account (suspected takeover) gains no card or bank link and
	// charges none: 7pay's attackers charged their victims' cards.
	if err := s.wallet.CheckFrozen(ctx, userID); err != nil {
		return Topup{}, err
	}
	if err := validAmount(amount, s.lim.TopupAmountMax); err != nil {
		return Topup{}, err
	}
	l, err := s.link(ctx, userID, linkID)
	if err != nil {
		return Topup{}, err
	}
	if l.Status != LinkActive {
		return Topup{}, apperr.E(apperr.Conflict, "the bank link is not active").JA("この銀行口座の連携は有効ではありません")
	}
	d, sess, err := s.decide(ctx, sess, risk.KindBankTopup, risk.Subject{Amount: amount, BankAccount: l.accountKey()},
		risk.Features{"hours_since_bank_link": risk.HoursSince(s.now(), l.CreatedAt)})
	if err != nil {
		return Topup{}, err
	}
	if !d.Held() {
		if err := s.refuseOrStepUp(ctx, d, sess); err != nil {
			return Topup{}, err
		}
	}
	limitID, err := s.wallet.ReserveLimitID(ctx, userID, flowTopup, amount)
	if err != nil {
		return Topup{}, err
	}
	// The row keeps the reservation (confirmed with it): whoever ends the
	// top-up failed, this request or Reconcile, gives it back (fail).
	t := Topup{ID: newID("top_"), UserID: userID, SourceType: SourceBank, SourceID: l.ID, Amount: amount, Status: StatusProcessing,
		limitID: limitID, force3DS: -1}
	if err := s.crash(FaultTopupAfterLimit, t.ID); err != nil {
		return Topup{}, err
	}
	if d.Held() {
		// Held for a person: recorded with nothing moved (ReviewTopup).
		t.Status, t.decisionID = StatusHeld, d.ID
	}
	if err := s.insertTopup(ctx, t); err != nil {
		s.wallet.ReleaseLimit(context.WithoutCancel(ctx), limitID)
		return Topup{}, err
	}
	if t.Status == StatusHeld {
		s.record(ctx, userID, "topup", t.ID, amount, "in", StatusHeld, SourceBank)
		s.notifyUser(ctx, userID, "funding_topup_review", map[string]any{"Amount": amount, "Last4": l.AccountLast4})
		return s.topupByID(ctx, t.ID)
	}
	return s.finishBankTopup(ctx, t)
}

// finishBankTopup debits the bank and credits the wallet, both keyed by
// the top-up id, so it may run again after any failure.
func (s *Service) finishBankTopup(ctx context.Context, t Topup) (Topup, error) {
	l, err := s.link(ctx, t.UserID, t.SourceID)
	if err != nil {
		return Topup{}, err
	}
	if l.Status != LinkActive {
		return s.fail(ctx, t, StatusFailed, "link_inactive")
	}
	token, err := s.accessToken(ctx, l)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Unavailable {
			return s.topupByID(ctx, t.ID)
		}
		return s.fail(ctx, t, StatusFailed, "invalid_token")
	}
	if err := s.crash(FaultTopupBeforeBank, t.ID); err != nil {
		return Topup{}, err
	}
	if _, err := s.bank.Debit(ctx, l.BankCode, token, t.Amount, "saifu-topup:"+t.ID, "saifu top-up"); err != nil {
		switch {
		case errors.Is(err, connector.ErrUnavailable):
			return s.topupByID(ctx, t.ID)
		case errors.Is(err, connector.ErrInsufficientFunds):
			return s.fail(ctx, t, StatusDeclined, "insufficient_funds")
		case errors.Is(err, connector.ErrDeclined):
			return s.fail(ctx, t, StatusDeclined, "bank_declined")
		}
		return s.fail(ctx, t, StatusFailed, "bank_error")
	}
	return s.credit(ctx, t, systemBank(l.BankCode))
}
