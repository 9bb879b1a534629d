package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/risk"
)

// backtestDaysDefault is the backtest's window unless the form says
// (the service bounds it at 90 days).
const backtestDaysDefault = 30

type consoleRulesData struct {
	Rules []risk.RuleVersion
	// Edit is the rule the form edits (a new one when its ID is empty).
	Edit risk.Rule
	// Actions and Untils are the form's choices.
	Actions []risk.Action
	Untils  []string
	// Backtest is a draft's replay, when asked for.
	Backtest *risk.BacktestResult
	Days     int
	Notice   string
}

func (s *server) rulesData(r *http.Request) (consoleRulesData, error) {
	rules, err := s.d.Ops.Rules(r.Context(), stateOf(r).op)
	if err != nil {
		return consoleRulesData{}, err
	}
	return consoleRulesData{Rules: rules, Actions: []risk.Action{risk.Allow, risk.StepUp, risk.Delay, risk.Hold, risk.Decline},
		Untils: risk.TimeFeatures, Days: backtestDaysDefault}, nil
}

// consoleRules: GET /ops/rules?edit=id&version=n — the live rules and
// drafts, and the draft form (empty, or filled with the version named).
func (s *server) consoleRules(w http.ResponseWriter, r *http.Request) error {
	d, err := s.rulesData(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	for _, v := range d.Rules {
		if v.ID == q.Get("edit") && strconv.Itoa(v.Version) == q.Get("version") {
			d.Edit = v.Rule
		}
	}
	if q.Get("drafted") != "" {
		d.Notice = "console.rule_drafted"
	}
	s.render(w, r, http.StatusOK, "console_rules", "console.rules_title", d, "")
	return nil
}

// consoleDraftRule: POST /ops/rules — a new draft version (of the rule
// named, or a new rule); the service compiles it and says what is wrong.
func (s *server) consoleDraftRule(w http.ResponseWriter, r *http.Request) error {
	rule := risk.Rule{ID: formValue(r, "id"), Name: formValue(r, "name"), Expression: formValue(r, "expression"),
		Action: risk.Action(formValue(r, "action")), Until: formValue(r, "until"), Reason: formValue(r, "reason"), ReasonJA: formValue(r, "reason_ja")}
	out, err := s.d.Ops.DraftRule(r.Context(), stateOf(r).op, rule)
	if err != nil {
		d, rerr := s.rulesData(r)
		if rerr != nil {
			return err
		}
		d.Edit = rule
		return s.formError(w, r, "console_rules", "console.rules_title", d, err)
	}
	http.Redirect(w, r, "/ops/rules?drafted=1&edit="+url.QueryEscape(out.ID)+"&version="+strconv.Itoa(out.Version), http.StatusSeeOther)
	return nil
}

// consoleBacktest: GET /ops/rules/{id}/{version}/backtest?days — the
// stored decisions of the last days replayed with the draft (a read).
func (s *server) consoleBacktest(w http.ResponseWriter, r *http.Request) error {
	version, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || version < 1 {
		return apperr.E(apperr.NotFound, "no such rule version").JA("そのバージョンのルールはありません")
	}
	days := backtestDaysDefault
	if v := r.URL.Query().Get("days"); v != "" {
		if days, err = strconv.Atoi(v); err != nil || days < 1 {
			return apperr.E(apperr.Invalid, "days must be a whole number of days").JA("日数を整数で入力してください")
		}
	}
	d, err := s.rulesData(r)
	if err != nil {
		return err
	}
	until := s.d.Now()
	res, err := s.d.Ops.BacktestRule(r.Context(), stateOf(r).op, r.PathValue("id"), version, until.Add(-time.Duration(days)*24*time.Hour), until)
	if err != nil {
		return s.formError(w, r, "console_rules", "console.rules_title", d, err)
	}
	d.Backtest, d.Days = &res, days
	s.render(w, r, http.StatusOK, "console_rules", "console.rules_title", d, "")
	return nil
}

// consolePublishRule: POST /ops/rules/{id}/{version}/publish {reason} —
// a four-eyes request: another risk operator approves it on
// /ops/approvals, and the draft goes live then.
func (s *server) consolePublishRule(w http.ResponseWriter, r *http.Request) error {
	version, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || version < 1 {
		return apperr.E(apperr.NotFound, "no such rule version").JA("そのバージョンのルールはありません")
	}
	if _, err := s.d.Ops.RequestRulePublish(r.Context(), stateOf(r).op, r.PathValue("id"), version, formValue(r, "reason")); err != nil {
		d, rerr := s.rulesData(r)
		if rerr != nil {
			return err
		}
		return s.formError(w, r, "console_rules", "console.rules_title", d, err)
	}
	http.Redirect(w, r, "/ops/approvals", http.StatusSeeOther)
	return nil
}
