package ops

import (
	"context"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// Every operator call is an audit entry (API.md "Operators"). The service
// audits what it does and what it refuses; a call that never reached it
// (a body or query the API refused, an unknown route parameter) or that
// failed before its entry committed is recorded by AuditCall, which the
// API runs for every call whose audit.Trace counted no entry, and for
// every call that failed inside.

// AuditCall records that s's operator called call (e.g. "PUT
// /ops/api/switches/{capability}") on target (the path called) and how it
// ended (outcome, e.g. "answered 400"): "operator.call".
func (o *Operators) AuditCall(ctx context.Context, s Session, call, target, outcome string) error {
	now := o.now()
	return o.db.Write(ctx, func(tx *store.Tx) error {
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: s.actor(), Action: "operator.call", Target: target,
			Details: call + " → " + outcome})
	})
}
