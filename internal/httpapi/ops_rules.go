package httpapi

import (
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
)

type opsRuleView struct {
	RuleID      string  `json:"rule_id"`
	Version     int     `json:"version"`
	Name        string  `json:"name"`
	Expression  string  `json:"expression"`
	Action      string  `json:"action"`
	Reason      string  `json:"reason"`
	ReasonJA    string  `json:"reason_ja"`
	Until       string  `json:"until,omitempty"`
	Status      string  `json:"status"`
	CreatedBy   string  `json:"created_by,omitempty"`
	CreatedAt   string  `json:"created_at,omitempty"`
	PublishedAt *string `json:"published_at"`
}

// handleOpsRules: GET /ops/api/rules → {items}: the live rules and the
// drafts.
func handleOpsRules(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		rules, err := o.Rules(r.Context(), opSessionFrom(r))
		if err != nil {
			return err
		}
		out := make([]opsRuleView, 0, len(rules))
		for _, v := range rules {
			out = append(out, opsRuleView{v.ID, v.Version, v.Name, v.Expression, string(v.Action), v.Reason, v.ReasonJA, v.Until, v.Status, v.CreatedBy,
				rfc(v.CreatedAt), optTime(v.PublishedAt)})
		}
		encode(w, r, http.StatusOK, map[string]any{"items": out})
		return nil
	})
}

type opsRuleRequest struct {
	RuleID     string `json:"rule_id"`
	Name       string `json:"name"`
	Expression string `json:"expression"`
	Action     string `json:"action"`
	Reason     string `json:"reason"`
	ReasonJA   string `json:"reason_ja"`
	Until      string `json:"until"`
}

// handleOpsRuleDraft: POST /ops/api/rules {rule_id, name, expression,
// action, reason, reason_ja?, until? (a delay's time feature)} → 201 the draft (the rule's next version); 400 when it
// does not compile, with the compiler's words.
func handleOpsRuleDraft(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[opsRuleRequest](r)
		if err != nil {
			return err
		}
		d, err := o.DraftRule(r.Context(), opSessionFrom(r), risk.Rule{ID: q.RuleID, Name: q.Name, Expression: q.Expression,
			Action: risk.Action(q.Action), Reason: q.Reason, ReasonJA: q.ReasonJA, Until: q.Until})
		if err != nil {
			return err
		}
		encode(w, r, http.StatusCreated, opsRuleView{RuleID: d.ID, Version: d.Version, Name: d.Name, Expression: d.Expression,
			Action: string(d.Action), Reason: d.Reason, ReasonJA: d.ReasonJA, Until: d.Until, Status: risk.StatusDraft})
		return nil
	})
}

type opsBacktestRequest struct {
	Version int        `json:"version"`
	Since   *time.Time `json:"since"`
	Until   *time.Time `json:"until"`
}

type opsBacktestExample struct {
	DecisionID string `json:"decision_id"`
	UserID     string `json:"user_id"`
	At         string `json:"at"`
	From       string `json:"from"`
	To         string `json:"to"`
}

// handleOpsRuleBacktest: POST /ops/api/rules/{id}/backtest {version,
// since?, until?} → what the draft would have changed of the stored
// decisions, by change of outcome, with examples.
func handleOpsRuleBacktest(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[opsBacktestRequest](r)
		if err != nil {
			return err
		}
		var since, until time.Time
		if q.Since != nil {
			since = *q.Since
		}
		if q.Until != nil {
			until = *q.Until
		}
		res, err := o.BacktestRule(r.Context(), opSessionFrom(r), r.PathValue("id"), q.Version, since, until)
		if err != nil {
			return err
		}
		examples := map[string][]opsBacktestExample{}
		for change, exs := range res.Examples {
			for _, ex := range exs {
				examples[change] = append(examples[change], opsBacktestExample{ex.DecisionID, ex.UserID, rfc(ex.At), string(ex.From), string(ex.To)})
			}
		}
		encode(w, r, http.StatusOK, map[string]any{"rule_id": res.RuleID, "version": res.Version, "replayed": res.Replayed,
			"changed": res.Changed, "truncated": res.Truncated, "by_change": res.ByChange, "examples": examples})
		return nil
	})
}

type opsPublishRequest struct {
	Version int    `json:"version"`
	Reason  string `json:"reason"`
}

// handleOpsRulePublish: POST /ops/api/rules/{id}/publish {version,
// reason} → 202 {approval_id, status: "pending_approval", expires_at}: the
// draft goes live when another risk operator approves.
func handleOpsRulePublish(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[opsPublishRequest](r)
		if err != nil {
			return err
		}
		a, err := o.RequestRulePublish(r.Context(), opSessionFrom(r), r.PathValue("id"), q.Version, q.Reason)
		if err != nil {
			return err
		}
		encodePending(w, r, a.ID, a.ExpiresAt)
		return nil
	})
}
