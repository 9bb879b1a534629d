package ops

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// Switch is the state of one capability's kill switch. A capability never
// switched is enabled, with no reason and no UpdatedBy.
type Switch struct {
	Capability string
	Enabled    bool
	Reason     string
	UpdatedBy  string
	// UpdatedByEmail is the address of the operator who switched it
	// ("" for another actor, or through Controls).
	UpdatedByEmail string
	UpdatedAt      time.Time // zero when never switched
}

// Switches returns every capability's switch, in the order of
// Capabilities.
func (c *Controls) Switches(ctx context.Context) ([]Switch, error) {
	rows, err := c.db.Query(ctx, `SELECT capability, enabled, reason, updated_by, updated_at FROM ops_switches`)
	if err != nil {
		return nil, fmt.Errorf("ops: read switches: %w", err)
	}
	defer rows.Close()
	set := map[string]Switch{}
	for rows.Next() {
		var s Switch
		var on, at int64
		if err := rows.Scan(&s.Capability, &on, &s.Reason, &s.UpdatedBy, &at); err != nil {
			return nil, fmt.Errorf("ops: read switches: %w", err)
		}
		s.Enabled, s.UpdatedAt = on != 0, time.UnixMilli(at).UTC()
		set[s.Capability] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ops: read switches: %w", err)
	}
	out := make([]Switch, 0, len(Capabilities))
	for _, name := range Capabilities {
		s, ok := set[name]
		if !ok {
			s = Switch{Capability: name, Enabled: true}
		}
		out = append(out, s)
	}
	return out, nil
}

// Switches returns every switch to an operator of any role, and audits
// the read.
func (o *Operators) Switches(ctx context.Context, s Session) ([]Switch, error) {
	if err := o.require(ctx, s, RoleViewer, "switches.read"); err != nil {
		return nil, err
	}
	if err := o.auditRead(ctx, s, "switches.read", "switches", ""); err != nil {
		return nil, err
	}
	out, err := o.controls.Switches(ctx)
	if err != nil {
		return nil, err
	}
	actors := make([]string, 0, len(out))
	for _, sw := range out {
		actors = append(actors, sw.UpdatedBy)
	}
	emails, err := o.operatorEmails(ctx, actors)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].UpdatedByEmail = emails[out[i].UpdatedBy]
	}
	return out, nil
}

// SetSwitch turns a capability on or off for an operator with the risk
// role (or admin), with a reason, and returns the switch. The change and
// its audit entry (actor, reason) are one transaction (Controls.
// SetCapability). Errors: apperr.Forbidden for a lesser role,
// apperr.NotFound for an unknown capability, apperr.Invalid for a
// missing or oversized reason; none of them changes anything.
func (o *Operators) SetSwitch(ctx context.Context, s Session, capability string, enabled bool, reason string) (Switch, error) {
	if err := o.require(ctx, s, RoleRisk, "switch.set"); err != nil {
		return Switch{}, err
	}
	if strings.TrimSpace(reason) == "" {
		return Switch{}, apperr.E(apperr.Invalid, "give the reason for the switch").JA("切り替えの理由を入力してください")
	}
	if err := o.controls.SetCapability(ctx, s.actor(), capability, enabled, reason); err != nil {
		return Switch{}, err
	}
	all, err := o.controls.Switches(ctx)
	if err != nil {
		return Switch{}, err
	}
	for _, sw := range all {
		if sw.Capability == capability {
			return sw, nil
		}
	}
	return Switch{}, fmt.Errorf("ops: switch %s not found after setting it", capability)
}

// auditRead records an operator's read in its own transaction.
func (o *Operators) auditRead(ctx context.Context, s Session, action, target, details string) error {
	now := o.now()
	return o.db.Write(ctx, func(tx *store.Tx) error {
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: s.actor(), Action: action, Target: target, Details: details})
	})
}

// AuditPage returns linked audit entries after seq after, at most limit
// (1…500), to an operator of any role, and audits the read. next is the
// cursor of the following page, 0 at the end.
func (o *Operators) AuditPage(ctx context.Context, s Session, after int64, limit int) (items []audit.Entry, next int64, err error) {
	if err := o.require(ctx, s, RoleViewer, "audit.read"); err != nil {
		return nil, 0, err
	}
	if err := o.auditRead(ctx, s, "audit.read", "audit", fmt.Sprintf("after=%d limit=%d", after, limit)); err != nil {
		return nil, 0, err
	}
	items, next, err = o.log.List(ctx, after, limit)
	if err == nil && !has(s.Operator.Roles, RoleRisk) {
		redactAudit(items)
	}
	return items, next, err
}

// riskOnlyDetails are the actions whose audit details only risk
// operators read, as in the review queue and a case's timeline: a
// review's decision gives its written reason, which may name the
// movement's amount, its recipient and why it looked like fraud.
var riskOnlyDetails = map[string]bool{"review.approved": true, "review.rejected": true}

// redactAudit drops, for an operator below the risk role, the details
// of the entries of riskOnlyDetails: who decided which review, and when,
// stays readable (and the chain fields, which the server verifies).
func redactAudit(items []audit.Entry) {
	for i := range items {
		if riskOnlyDetails[items[i].Action] {
			items[i].Details, items[i].Redacted = "", true
		}
	}
}

// VerifyAudit walks the whole audit chain and recomputes every link
// (audit.Verify: it only reads, a page of entries at a time) for an
// operator of any role, and audits the check. Its cost grows with the
// log (one pass over it), so a console runs it when asked, not on every
// page.
func (o *Operators) VerifyAudit(ctx context.Context, s Session) (audit.Report, error) {
	if err := o.require(ctx, s, RoleViewer, "audit.verify"); err != nil {
		return audit.Report{}, err
	}
	if err := o.auditRead(ctx, s, "audit.verify", "audit", ""); err != nil {
		return audit.Report{}, err
	}
	return audit.Verify(ctx, o.db, o.now())
}
