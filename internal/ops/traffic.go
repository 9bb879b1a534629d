package ops

import (
	"context"
	"time"

	"github.com/saifu-pay/saifu/internal/risk"
)

// TrafficMinutes is how many minutes Traffic covers: the last day.
const TrafficMinutes = 24 * 60

// Traffic is the last day per minute, oldest first (TrafficMinutes
// each): from the risk engine's decisions, payments asked for, top-ups
// (card and bank) asked for, and the decisions that declined or held
// anything; from identity, the failed logins (nil without Logins). Until
// is the end of the last minute (exclusive).
type Traffic struct {
	Until                             time.Time
	Payments, Topups, Declines, Holds []int64
	FailedLogins                      []int64
}

// Traffic returns the last day's Traffic to an operator of any role, and
// audits the read. Without a risk engine it is apperr.Unavailable.
// (risk.Engine.DecisionsPerMinute bounds its cost.)
func (o *Operators) Traffic(ctx context.Context, s Session) (Traffic, error) {
	if err := o.require(ctx, s, RoleViewer, "traffic.read"); err != nil {
		return Traffic{}, err
	}
	if o.cfg.Risk == nil {
		return Traffic{}, errNoRules
	}
	if err := o.auditRead(ctx, s, "traffic.read", "traffic", ""); err != nil {
		return Traffic{}, err
	}
	until := o.now().UTC().Truncate(time.Minute).Add(time.Minute)
	since := until.Add(-TrafficMinutes * time.Minute)
	counts, err := o.cfg.Risk.DecisionsPerMinute(ctx, since, until)
	if err != nil {
		return Traffic{}, err
	}
	t := Traffic{Until: until, Payments: make([]int64, TrafficMinutes), Topups: make([]int64, TrafficMinutes),
		Declines: make([]int64, TrafficMinutes), Holds: make([]int64, TrafficMinutes)}
	for _, c := range counts {
		i := int(c.Minute.Sub(since) / time.Minute)
		if i < 0 || i >= TrafficMinutes {
			continue // the query's window is this one: never
		}
		switch c.Kind {
		case risk.KindPayment:
			t.Payments[i] += c.N
		case risk.KindCardTopup, risk.KindBankTopup:
			t.Topups[i] += c.N
		}
		switch c.Action {
		case risk.Decline:
			t.Declines[i] += c.N
		case risk.Hold:
			t.Holds[i] += c.N
		}
	}
	if o.cfg.Logins != nil {
		failed, err := o.cfg.Logins.FailedLoginsPerMinute(ctx, since, until)
		if err != nil {
			return Traffic{}, err
		}
		t.FailedLogins = make([]int64, TrafficMinutes)
		for _, m := range failed {
			if i := int(m.Minute.Sub(since) / time.Minute); i >= 0 && i < TrafficMinutes {
				t.FailedLogins[i] += m.N
			}
		}
	}
	return t, nil
}
