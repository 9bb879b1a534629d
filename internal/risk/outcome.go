package risk

import (
	"context"
	"slices"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/notify"
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
	if d.Action == Delay {
		return d.WaitError()
	}
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
	if !d.SteppedUp() || (!trustedAt.IsZero() && !trustedAt.After(now)) {
		return nil
	}
	return apperr.E(apperr.StepUpRequired, "confirm it is you with your authenticator app or passkey first (POST /api/v1/reauth)").
		JA("認証アプリまたはパスキーで本人確認してからお試しください")
}

// OnlyFailures reports whether the decision is the fail-safe hold and
// nothing else: every reason a rule that could not be evaluated (or the
// engine that could not decide).
func (d Decision) OnlyFailures() bool {
	if d.Action != Hold || len(d.Reasons) == 0 {
		return false
	}
	for _, r := range d.Reasons {
		if r.Reason != reasonRuleError {
			return false
		}
	}
	return true
}

// Held reports whether the decision holds the money for a person to
// review.
func (d Decision) Held() bool { return d.Action == Hold }

// SteppedUp reports whether the decision asks for a step-up: its action,
// or a rule's beside a delay (the step-up is asked first; the money then
// waits).
func (d Decision) SteppedUp() bool {
	if d.Action == StepUp {
		return true
	}
	return d.Action == Delay && slices.ContainsFunc(d.Reasons, func(r Reason) bool { return r.Action == StepUp })
}

// Delayed reports whether the decision makes the money wait until
// d.Until (a withdrawal is held until then and released by time).
func (d Decision) Delayed() bool { return d.Action == Delay }

// WaitError is the refusal of a delayed decision by a flow that cannot
// wait (a P2P transfer): apperr.Forbidden naming the rule's reason and
// until when — apperr.StepUpRequired for a new device's wait, which a
// trusted second factor ends; nil when the decision delays nothing.
func (d Decision) WaitError() error {
	if d.Until.IsZero() {
		return nil
	}
	why, whyJA := "", ""
	for _, r := range d.Reasons {
		if r.Action == Delay {
			why, whyJA = r.Reason, r.ReasonJA
			break
		}
	}
	// The machine's time for a client, the user's in Japanese (as mails
	// write it).
	until, untilJA := d.Until.UTC().Format(time.RFC3339), notify.FormatTime(notify.LangJA, d.Until)
	if d.UntilFeature == "money_out_trusted_at" {
		// A new device's wait ends at once with a trusted second factor.
		return apperr.E(apperr.StepUpRequired, why+": confirm it is you with your authenticator app or passkey (POST /api/v1/reauth), or try again after "+until+" (sign in again then)").
			JA(whyJA + "、認証アプリまたはパスキーで本人確認するか、" + untilJA + " 以降にもう一度ログインしてお試しください")
	}
	ja := untilJA + " まではこの操作をお受けできません"
	if whyJA != "" {
		ja = whyJA + "ため、" + ja
	}
	return apperr.E(apperr.Forbidden, "not before "+until+": "+why).JA(ja)
}
