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
	if s.risk == nil {
		return nil
	}
	f, err := s.id.RiskFeatures(ctx, sess)
	if err != nil {
		return err
	}
	sub.UserID = sess.UserID
	sub.IP, _ = netip.ParseAddr(sess.IP)
	d, err := s.risk.Decide(ctx, risk.Event{Kind: kind, Subject: sub, Features: f})
	if err != nil {
		s.log.Error("wallet: risk decision failed; the movement is refused", "kind", kind, "err", err)
	}
	if err := d.Refusal(); err != nil {
		return err
	}
	return d.StepUpError(sess.FactorTrustedAt, s.now())
}
