package risk

import (
	"fmt"
	"math"
	"time"

	"cel.dev/cel-go/cel"
)

// The kinds of event Decide is asked about (ARCHITECTURE.md: before every
// login, card registration, card top-up, bank link, bank top-up, payment,
// P2P transfer, withdrawal, and email or password change).
const (
	KindLogin            = "login"
	KindCardRegistration = "card_registration"
	KindCardTopup        = "card_topup"
	KindBankLink         = "bank_link"
	KindBankTopup        = "bank_topup"
	KindPayment          = "payment"
	KindP2P              = "p2p"
	KindWithdrawal       = "withdrawal"
	KindEmailChange      = "email_change"
	KindPasswordChange   = "password_change"
	// KindFactorChange is a second factor added (an authenticator app or
	// a passkey).
	KindFactorChange = "factor_change"
)

// Kinds lists every kind of event.
var Kinds = []string{KindLogin, KindCardRegistration, KindCardTopup, KindBankLink, KindBankTopup,
	KindPayment, KindP2P, KindWithdrawal, KindEmailChange, KindPasswordChange, KindFactorChange}

// Never is the "hours since" of something that never happened: far beyond
// any window a rule asks about (114 years), so that `hours_since_reset <
// 72` is simply false for a user who never reset a password.
const Never int64 = 1_000_000

// HoursSince is a "hours since" feature's value: whole hours from t to
// now, Never when t is zero (it never happened), 0 for a t after now.
func HoursSince(now, t time.Time) int64 {
	if t.IsZero() {
		return Never
	}
	return min(max(0, int64(now.Sub(t)/time.Hour)), Never)
}

// A feature is one signal a rule may read: its name in expressions, its
// CEL type, and what it means. The list is the schema rules are
// type-checked against; a rule naming anything else does not compile.
type feature struct {
	name string
	typ  *cel.Type
	doc  string
}

// features is the schema. Every value is computed from saifu's own data
// and bounded: counts are over at most a day, amounts are yen, and "hours
// since" is capped at Never.
var features = []feature{
	{"kind", cel.StringType, "the event: one of Kinds"},
	{"amount", cel.IntType, "the amount in yen (0 when the event moves no money)"},
	{"account_age_hours", cel.IntType, "hours since sign-up"},
	{"kyc_verified", cel.BoolType, "the user passed identity verification"},
	{"device_seen", cel.BoolType, "this device signed in to this user before"},
	{"ip_seen", cel.BoolType, "this IP address is among the user's recent events (the last 1,000, 30 days at most)"},
	{"network_seen", cel.BoolType, "this /24 (IPv4) or /64 (IPv6) is among the user's recent events"},
	{"hours_since_password_reset", cel.IntType, "hours since the last password reset (Never: none)"},
	{"hours_since_email_change", cel.IntType, "hours since the last email change (Never: none)"},
	{"hours_since_new_factor", cel.IntType, "hours since a second factor was last added (Never: none)"},
	{"hours_since_bank_link", cel.IntType, "hours since a bank account was last linked (Never: none)"},
	{"destination_age_hours", cel.IntType, "for a withdrawal: hours since its bank account was linked"},
	{"failures_1h", cel.IntType, "failed logins, codes and security codes of this user in the last hour"},
	{"amount_max_30d", cel.IntType, "the user's largest amount of this kind in 30 days (0: none)"},
	{"first_to_payee", cel.BoolType, "no earlier payment or transfer to this payee"},
	{"user_count_1h", cel.IntType, "events of this kind by the user in the last hour"},
	{"user_count_24h", cel.IntType, "events of this kind by the user in the last 24 hours"},
	{"user_amount_24h", cel.IntType, "yen moved by events of this kind by the user in 24 hours"},
	{"device_count_1h", cel.IntType, "events of this kind from this device in the last hour, any user"},
	{"ip_count_1h", cel.IntType, "events of this kind from this IP in the last hour, any user"},
	{"network_count_1h", cel.IntType, "events of this kind from this /24 or /64 in the last hour, any user"},
	{"device_users_24h", cel.IntType, "distinct users of this device in 24 hours"},
	{"network_kyc_names_24h", cel.IntType, "distinct KYC names linking bank accounts from this device or network in 24 hours"},
	{"card_users", cel.IntType, "distinct users who registered this card (fingerprint)"},
	{"card_topups", cel.IntType, "succeeded top-ups from this card before"},
	{"bank_account_users", cel.IntType, "distinct users who linked this bank account"},
	{"payees_1h", cel.IntType, "distinct payees of the user's P2P transfers in the last hour"},
	{"now", cel.IntType, "the decision's time, in unix seconds (set by the engine: a rule compares the times below with it)"},
	{"cooling_off_until", cel.IntType, "unix seconds when the user's cooling-off period after a password reset or email change ends (0: none)"},
	{"money_out_trusted_at", cel.IntType, "unix seconds from when this session may move money out: its device recognised, or a trusted second factor (0: it may now)"},
	{"destination_usable_at", cel.IntType, "for a withdrawal: unix seconds from when its bank account may receive money (the new-link wait; 0: now)"},
	{"session_trusted", cel.BoolType, "the session proved itself recently (privileged) and may move money out now"},
}

// TimeFeatures are the features a Delay may wait for: unix seconds, 0
// for none.
var TimeFeatures = []string{"cooling_off_until", "money_out_trusted_at", "destination_usable_at"}

// Unix is a time feature's value for t: unix seconds, rounded up so that
// a wait never ends before t; 0 for the zero time.
func Unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// Features are the values of one event's signals, by feature name: what a
// decision saw, stored with it so that a backtest replays exactly that.
type Features map[string]any

// normalise returns f with every declared feature present and of its
// declared type (a feature missing from an older stored decision takes its
// zero value: false, 0, "" — and Never for "hours since"), or an error
// naming a feature of the wrong type. Undeclared names are dropped.
func normalise(f Features) (Features, error) {
	out := make(Features, len(features))
	for _, ft := range features {
		v, ok := f[ft.name]
		switch ft.typ {
		case cel.IntType:
			n, err := asInt(v, ok)
			if err != nil {
				return nil, fmt.Errorf("risk: feature %s: %w", ft.name, err)
			}
			if !ok && isHoursSince(ft.name) {
				n = Never
			}
			out[ft.name] = n
		case cel.BoolType:
			b, isBool := v.(bool)
			if ok && !isBool {
				return nil, fmt.Errorf("risk: feature %s: want a bool, got %T", ft.name, v)
			}
			out[ft.name] = b
		case cel.StringType:
			s, isString := v.(string)
			if ok && !isString {
				return nil, fmt.Errorf("risk: feature %s: want a string, got %T", ft.name, v)
			}
			out[ft.name] = s
		}
	}
	return out, nil
}

func isHoursSince(name string) bool {
	return len(name) > len("hours_since_") && name[:len("hours_since_")] == "hours_since_"
}

// asInt accepts the integer types Go code uses and the float64 that JSON
// decoding gives a stored decision.
func asInt(v any, ok bool) (int64, error) {
	if !ok {
		return 0, nil
	}
	switch n := v.(type) {
	case int64:
		return n, nil
	case int:
		return int64(n), nil
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return 0, fmt.Errorf("want an integer, got %v", n)
		}
		return int64(n), nil
	}
	return 0, fmt.Errorf("want an integer, got %T", v)
}
