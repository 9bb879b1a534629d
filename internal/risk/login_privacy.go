package risk

import (
	"fmt"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types/ref"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// A login is decided before its password is checked, for an address that
// has no account too (identity), so that a refusal tells nothing of the
// password. It must tell nothing of the account either: a rule that
// refuses a login (decline, hold, delay) on what the account is — its
// age, KYC, credential changes, the user's own history — answers an
// address with an account differently from one without, and an attacker
// could list the addresses saifu knows. Such a rule is refused when
// drafted. A step-up on them is allowed: identity asks an unknown address
// for nothing more, and its answer is the same "invalid credentials".

// accountFeatures are the features whose values for a login depend on
// whether the address has an account (zero for one that has none). The
// counts of a device, address or network are everyone's and the failures
// of the last hour are counted by address whether or not it has an
// account, so they are not among them.
var accountFeatures = []string{
	"account_age_hours", "kyc_verified", "device_seen", "ip_seen", "network_seen",
	// Counts of distinct users: an earlier attempt on an address with an
	// account counted its user, one without an account none.
	"device_users_24h", "card_users", "bank_account_users", "network_kyc_names_24h",
	"hours_since_password_reset", "hours_since_email_change", "hours_since_new_factor", "hours_since_bank_link",
	"amount_max_30d", "first_to_payee", "user_count_1h", "user_count_24h", "user_amount_24h", "payees_1h",
	"cooling_off_until", "money_out_trusted_at", "session_trusted",
}

// refusesLoginOnAccount reports which account features a refusing rule's
// outcome on a login can depend on (none: it is safe). It evaluates the
// expression partially with kind "login" and every other feature
// unknown, and lists the account features the residual expression still
// reads: `kind == "card_topup" && kyc_verified` leaves nothing for a
// login; `kind == "login" && !kyc_verified`, or a rule that names no
// kind, leaves kyc_verified.
func refusesLoginOnAccount(r Rule, ast *cel.Ast) ([]string, error) {
	if r.Action.severity() < Delay.severity() {
		return nil, nil
	}
	e, err := celEnv()
	if err != nil {
		return nil, err
	}
	res, det, err := onKind(ast, KindLogin)
	if err != nil {
		// An error on every login is the fail-safe for everyone, account
		// or none (identity asks for the second factor): nothing told.
		return nil, nil
	}
	if b, ok := res.Value().(bool); ok && !b {
		return nil, nil // never true on a login
	}
	residual, err := e.ResidualAst(ast, det)
	if err != nil {
		return nil, errUncheckable(err)
	}
	checked, iss := e.Check(residual)
	if iss != nil && iss.Err() != nil {
		return nil, errUncheckable(iss.Err())
	}
	var out []string
	for _, name := range reads(checked) {
		if slices.Contains(accountFeatures, name) {
			out = append(out, name)
		}
	}
	// A delay waits for its time feature: one of the account's (the end
	// of its cooling-off period) tells as much as a condition on it.
	if r.Action == Delay && slices.Contains(accountFeatures, r.Until) && !slices.Contains(out, r.Until) {
		out = append(out, r.Until)
	}
	return out, nil
}

// onKind evaluates ast partially for an event of kind, every other
// feature unknown: false when the rule cannot match such an event, an
// unknown (with the details ResidualAst reads) when that depends on the
// other features. An evaluation error is returned as such.
func onKind(ast *cel.Ast, kind string) (ref.Val, *cel.EvalDetails, error) {
	e, err := celEnv()
	if err != nil {
		return nil, nil, err
	}
	var unknown []*cel.AttributePatternType
	for _, f := range features {
		if f.name != "kind" {
			unknown = append(unknown, cel.AttributePattern(f.name))
		}
	}
	vars, err := cel.PartialVars(map[string]any{"kind": kind}, unknown...)
	if err != nil {
		return nil, nil, err
	}
	prg, err := e.Program(ast, cel.EvalOptions(cel.OptTrackState, cel.OptPartialEval))
	if err != nil {
		return nil, nil, err
	}
	return prg.Eval(vars)
}

// neverMatches reports whether a rule is false for every kind of event
// whatever its other features (a misspelt kind: `kind == "topup"`).
func neverMatches(ast *cel.Ast) bool {
	for _, k := range Kinds {
		res, _, err := onKind(ast, k)
		if err != nil {
			return false // it errs: not "never"
		}
		if b, ok := res.Value().(bool); !ok || b {
			return false
		}
	}
	return true
}

// errUncheckable refuses a rule whose login behaviour cannot be worked
// out (a form partial evaluation does not take): it is not published on
// trust.
func errUncheckable(err error) error {
	return invalid("saifu cannot tell what this rule would say on a login (%s): write it without comprehensions over the features, or restrict it to other kinds", err.Error())
}

// errLoginOnAccount is the refusal of a draft that refusesLoginOnAccount
// flags.
func errLoginOnAccount(names []string) error {
	return invalid("a rule that refuses a login may not depend on the account (%s): an address with an account would be answered differently from one without; restrict it to other kinds, or make it a step_up", strings.Join(names, ", "))
}

// compileDraft is Compile for a rule an operator drafts, which must also
// pass refusesLoginOnAccount. (The default rules pass it too: a test
// says so.)
func compileDraft(r Rule) error {
	c, err := Compile(r)
	if err != nil {
		return err
	}
	names, err := refusesLoginOnAccount(r, c.ast)
	if apperr.CodeOf(err) == apperr.Invalid {
		return err
	}
	if err != nil {
		return fmt.Errorf("risk: check rule %s: %w", r.ID, err)
	}
	if len(names) > 0 {
		return errLoginOnAccount(names)
	}
	// A rule that names kinds but matches none is a mistake (a rule
	// turned off on purpose says false, and names none).
	if slices.Contains(c.reads, "kind") && neverMatches(c.ast) {
		return invalid("the rule can match no event: its kind is none of %s", strings.Join(Kinds, ", "))
	}
	return nil
}
