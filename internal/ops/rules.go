package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/ids"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

// KindRulePublish is the four-eyes kind of a rule publication: a risk
// operator asks for a draft version to go live, another approves, and the
// draft replaces the rule's live version on every node within a second
// (risk.Engine.Publish in the approving transaction). The target is the
// rule's id, the payload {"version": n}.
const KindRulePublish = "risk.rule_publish"

var errNoRules = apperr.E(apperr.Unavailable, "the risk engine is not configured").JA("リスクエンジンを利用できません")

// backtestWindowMax bounds how far back a backtest replays.
const backtestWindowMax = 90 * 24 * time.Hour

// Rules lists the live rules and the drafts (any role; audited).
func (o *Operators) Rules(ctx context.Context, s Session) ([]risk.RuleVersion, error) {
	if err := o.require(ctx, s, RoleViewer, "rules.read"); err != nil {
		return nil, err
	}
	if o.cfg.Risk == nil {
		return nil, errNoRules
	}
	out, err := o.cfg.Risk.ListRules(ctx)
	if err != nil {
		return nil, err
	}
	return out, o.auditRead(ctx, s, "rules.read", "rules", fmt.Sprintf("%d versions", len(out)))
}

// DraftRule stores r as the next version of its rule (a new rule, with a
// new id, when r.ID is empty), a draft, for a risk operator; it must compile (apperr.Invalid with the compiler's
// words otherwise). The draft decides nothing until published.
func (o *Operators) DraftRule(ctx context.Context, s Session, r risk.Rule) (risk.Rule, error) {
	const action = "risk.rule_draft"
	if err := o.require(ctx, s, RoleRisk, action); err != nil {
		return risk.Rule{}, err
	}
	if o.cfg.Risk == nil {
		return risk.Rule{}, errNoRules
	}
	if r.ID == "" { // a new rule
		r.ID = ids.New("rule_")
	}
	out, err := o.cfg.Risk.SaveDraft(ctx, s.actor(), r)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Invalid {
			return risk.Rule{}, o.refuse(ctx, s, action, "rule:"+r.ID, err)
		}
		return risk.Rule{}, err
	}
	return out, nil
}

// BacktestRule replays the decisions of [since, until] with draft
// version of rule id in place of its live version, for a risk operator
// (audited). The window defaults to the last 30 days and is at most 90.
func (o *Operators) BacktestRule(ctx context.Context, s Session, id string, version int, since, until time.Time) (risk.BacktestResult, error) {
	const action = "risk.rule_backtest"
	if err := o.require(ctx, s, RoleRisk, action); err != nil {
		return risk.BacktestResult{}, err
	}
	if o.cfg.Risk == nil {
		return risk.BacktestResult{}, errNoRules
	}
	now := o.now()
	if until.IsZero() || until.After(now) {
		until = now
	}
	if since.IsZero() {
		since = until.Add(-30 * 24 * time.Hour)
	}
	if !since.Before(until) || until.Sub(since) > backtestWindowMax {
		return risk.BacktestResult{}, o.refuse(ctx, s, action, "rule:"+id,
			apperr.E(apperr.Invalid, "since must be before until, at most 90 days apart").JA("期間は90日以内で、開始は終了より前にしてください"))
	}
	res, err := o.cfg.Risk.Backtest(ctx, id, version, since, until)
	if err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			return risk.BacktestResult{}, o.refuse(ctx, s, action, "rule:"+id, err)
		}
		return risk.BacktestResult{}, err
	}
	return res, o.auditRead(ctx, s, action, fmt.Sprintf("rule:%s:v%d", id, version),
		fmt.Sprintf("replayed %d, changed %d", res.Replayed, res.Changed))
}

type publishPayload struct {
	Version int `json:"version"`
}

// RequestRulePublish asks for draft version of rule id to go live: a
// pending KindRulePublish approval another risk operator must approve.
func (o *Operators) RequestRulePublish(ctx context.Context, s Session, id string, version int, reason string) (Approval, error) {
	if o.cfg.Risk == nil {
		return Approval{}, errNoRules
	}
	payload, err := json.Marshal(publishPayload{Version: version})
	if err != nil {
		return Approval{}, fmt.Errorf("ops: encode publication: %w", err)
	}
	return o.RequestApproval(ctx, s, KindRulePublish, id, payload, reason)
}

func parsePublish(payload json.RawMessage) (publishPayload, error) {
	var p publishPayload
	if !decodePayload(payload, &p) || p.Version < 1 {
		return publishPayload{}, apperr.E(apperr.Invalid, `the payload must be {"version": n}`).JA("公開するバージョンを指定してください")
	}
	return p, nil
}

func (o *Operators) rulePublishKind() ApprovalKind {
	return ApprovalKind{
		Name: KindRulePublish, RequestRole: RoleRisk, ApproveRole: RoleRisk,
		Check: func(ctx context.Context, tx *store.Tx, id string, payload json.RawMessage) (json.RawMessage, error) {
			if o.cfg.Risk == nil {
				return nil, errNoRules
			}
			p, err := parsePublish(payload)
			if err != nil {
				return nil, err
			}
			if err := risk.CheckDraft(ctx, tx, id, p.Version); err != nil {
				return nil, err
			}
			return json.Marshal(p)
		},
		Apply: func(ctx context.Context, tx *store.Tx, a Approval) error {
			p, err := parsePublish(a.Payload)
			if err != nil {
				return err
			}
			if err := o.cfg.Risk.Publish(ctx, tx, "operator:"+a.DecidedBy, a.Target, p.Version); err != nil {
				return err
			}
			return audit.Append(ctx, tx, audit.Entry{At: a.DecidedAt, Actor: "operator:" + a.DecidedBy, Action: "risk.rule_publish_approved",
				Target:  fmt.Sprintf("rule:%s:v%d", a.Target, p.Version),
				Details: fmt.Sprintf("approval=%s requested_by=operator:%s: %s", a.ID, a.RequestedBy, a.Reason)})
		},
	}
}
