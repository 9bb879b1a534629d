package wallet

import (
	"context"

	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/risk"
)

// Decline codes of a charge the risk rules stopped. The payer is not
// present at a merchant's till to step up or wait for a review, so a
// charge is paid or declined: a hold or a decline is DeclineRisk; a
// step-up is DeclineStepUp unless the session that issued the code had a
// second factor trusted (the user steps up and shows a new code).
const (
	DeclineRisk   = "risk_declined"
	DeclineStepUp = "step_up_required"
)

// decideCharge asks the risk engine (none: allow) about a merchant's
// charge of py's code: the decline code the payment takes ("" when it
// may go on). The features are identity's of the user, with the device
// recognition of the session that issued the code; there is no address
// (the merchant's is not the payer's). A failing engine's decision is
// the fail-safe hold: declined, logged.
// The decision is deferred: pay records it in the payment's transaction.
func (s *Service) decideCharge(ctx context.Context, py payer, m merchant.Merchant, amount int64) (risk.Decision, string, error) {
	if s.risk == nil {
		return risk.Decision{Action: risk.Allow}, "", nil
	}
	f, err := s.id.UserRiskFeatures(ctx, py.userID)
	if err != nil {
		return risk.Decision{}, "", err
	}
	f["device_seen"] = py.deviceRecognised
	// Whether the session that issued the code could move money out (its
	// device recognised, or a trusted second factor): if not, it counts as
	// not trusted for the code's whole life, which is within its wait.
	now := s.now()
	if !py.deviceRecognised && (py.factorTrustedAt.IsZero() || py.factorTrustedAt.After(now)) {
		f["money_out_trusted_at"] = risk.Unix(now.Add(s.codeTTL))
	}
	d, err := s.risk.DecideDeferred(ctx, risk.Event{Kind: risk.KindPayment, Features: f,
		Subject: risk.Subject{UserID: py.userID, Amount: amount, Payee: "merchant:" + m.ID}})
	if err != nil {
		s.log.Error("wallet: risk decision failed; the charge is declined", "err", err)
	}
	switch {
	case d.Delayed() && d.UntilFeature == "money_out_trusted_at":
		// A new device's wait: a trusted second factor ends it (the user
		// steps up and shows a new code).
		return d, DeclineStepUp, nil
	case d.Refusal() != nil:
		return d, DeclineRisk, nil
	case d.StepUpError(py.factorTrustedAt, s.now()) != nil:
		return d, DeclineStepUp, nil
	}
	return d, "", nil
}
