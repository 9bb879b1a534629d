package risk

import (
	"context"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// A Decider decides on events: the Engine, as the domain services see it.
type Decider interface {
	Decide(ctx context.Context, ev Event) (Decision, error)
	// DecideDeferred decides without recording: the caller records the
	// decision in the transaction that carries the event out
	// (Decision.Record), or on its own (Decision.Save).
	DecideDeferred(ctx context.Context, ev Event) (Decision, error)
}

// Refusal is the error a service answers for a decision it cannot carry
// out as asked — a decline, or a hold where the flow has nothing to hold
// (a card registration, a bank link, a top-up): apperr.RiskDeclined with
// the most severe reason in the rule's words (rules are written for users
// to read), in English and, when the rule has them, in Japanese. nil for allow and
// step_up (the service asks for the step-up itself).
func (d Decision) Refusal() error {
	if d.Action != Decline && d.Action != Hold {
		return nil
	}
	why, whyJA := reasonRuleError, reasonRuleErrorJA
	if len(d.Reasons) > 0 {
		why, whyJA = d.Reasons[0].Reason, d.Reasons[0].ReasonJA
	}
	ja := "不正利用対策により、この操作はお受けできませんでした"
	if whyJA != "" {
		ja += "（" + whyJA + "）"
	}
	return apperr.E(apperr.RiskDeclined, "declined by saifu's fraud checks: "+why+"; contact support if this was you").
		JA(ja + "。お心当たりがある場合はサポートにお問い合わせください")
}

// StepUpError answers a step-up decision for a session whose second
// factor was trusted from trustedAt (zero: none): nil when the decision
// asks for no step-up or the session has one trusted before now,
// apperr.StepUpRequired otherwise. (A card top-up answers a step-up with
// 3-D Secure instead.)
func (d Decision) StepUpError(trustedAt, now time.Time) error {
	if d.Action != StepUp || (!trustedAt.IsZero() && !trustedAt.After(now)) {
		return nil
	}
	return apperr.E(apperr.StepUpRequired, "confirm it is you with your authenticator app or passkey first (POST /api/v1/reauth)").
		JA("認証アプリまたはパスキーで本人確認してからお試しください")
}

// Held reports whether the decision holds the money for a person to
// review.
func (d Decision) Held() bool { return d.Action == Hold }

// SteppedUp reports whether the decision asks for a step-up.
func (d Decision) SteppedUp() bool { return d.Action == StepUp }
