package wallet

import (
	"context"
	"net/netip"

	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/risk"
)

// decide asks the risk engine about a movement of sess's user (no engine:
// allow) and answers it for a flow that has nothing to hold yet: a decline
// or a hold refuses (apperr.RiskDeclined), a step-up needs a session
// authenticated with a trusted second factor (apperr.StepUpRequired). When
// the engine fails its decision is the fail-safe hold: refused, logged.
func (s *Service) decide(ctx context.Context, sess identity.Session, kind string, sub risk.Subject) error {
	d, err := s.decision(ctx, sess, kind, sub)
	if err != nil {
		return err
	}
	if err := d.Refusal(); err != nil {
		return err
	}
	return s.stepUp(ctx, d, sess)
}

// stepUp answers a step-up decision: met by a session authenticated with
// a second factor trusted before now — during a cooling-off period, one
// trusted before the period began (identity.Session.StepUpTrust) —
// apperr.StepUpRequired otherwise.
func (s *Service) stepUp(ctx context.Context, d risk.Decision, sess identity.Session) error {
	return s.id.StepUp(ctx, d, sess)
}

// decideHold is decide for a flow that can hold its money for review but
// cannot wait (a P2P transfer): a decline refuses and a step-up asks for
// one as decide does, a delay refuses until its time (the cooling-off
// period, a new device's recognition: risk.Decision.WaitError), but a
// hold is returned (d.Held()) for the flow to carry out. When the engine
// fails its decision is the fail-safe hold: held, logged.
func (s *Service) decideHold(ctx context.Context, sess identity.Session, kind string, sub risk.Subject, extra risk.Features) (risk.Decision, error) {
	d, err := s.decisionOf(ctx, sess, kind, sub, false, extra)
	if err != nil {
		return d, err
	}
	if d.Action == risk.Decline {
		return d, d.Refusal()
	}
	if err := s.stepUp(ctx, d, sess); err != nil {
		return d, err
	}
	if d.Delayed() {
		return d, d.WaitError()
	}
	return d, nil
}

// decision is the risk engine's decision on the event (allow without an
// engine; the fail-safe hold, logged, when the engine fails). The error is
// only identity's, reading the session's features.
func (s *Service) decision(ctx context.Context, sess identity.Session, kind string, sub risk.Subject) (risk.Decision, error) {
	return s.decisionOf(ctx, sess, kind, sub, false, nil)
}

// decidePayment is decide for a merchant payment by sess's user, with
// the decision deferred: pay records it in the payment's own transaction
// (no commit of its own on the payment's path); a payment refused here
// records it on its own.
func (s *Service) decidePayment(ctx context.Context, sess identity.Session, sub risk.Subject) (risk.Decision, error) {
	d, err := s.decisionOf(ctx, sess, risk.KindPayment, sub, true, nil)
	if err != nil {
		return d, err
	}
	refusal := d.Refusal()
	if refusal == nil {
		refusal = s.stepUp(ctx, d, sess)
	}
	if refusal != nil {
		s.saveDecision(ctx, d)
		return d, refusal
	}
	return d, nil
}

// saveDecision records a deferred decision whose event ends without a
// transaction of its own; a failure is logged (the decision stands).
func (s *Service) saveDecision(ctx context.Context, d risk.Decision) {
	if err := d.Save(context.WithoutCancel(ctx)); err != nil {
		s.log.Error("wallet: record risk decision", "decision", d.ID, "err", err)
	}
}

// decisionOf asks the engine, with identity's features of sess and
// extra (what the wallet knows better: first_to_payee), recording the
// decision now or, deferred, in the caller's transaction.
func (s *Service) decisionOf(ctx context.Context, sess identity.Session, kind string, sub risk.Subject, deferred bool, extra risk.Features) (risk.Decision, error) {
	if s.risk == nil {
		return risk.Decision{Action: risk.Allow}, nil
	}
	f, err := s.id.RiskFeatures(ctx, sess)
	if err != nil {
		return risk.Decision{}, err
	}
	for k, v := range extra {
		f[k] = v
	}
	sub.UserID = sess.UserID
	sub.IP, _ = netip.ParseAddr(sess.IP)
	decide := s.risk.Decide
	if deferred {
		decide = s.risk.DecideDeferred
	}
	d, err := decide(ctx, risk.Event{Kind: kind, Subject: sub, Features: f})
	if err != nil {
		s.log.Error("wallet: risk decision failed; the fail-safe hold applies", "kind", kind, "err", err)
	}
	return d, nil
}
