// Package activity is what the operators' incident search reads
// (API.md: POST /ops/api/search): the events of users' accounts — sign-ins
// from new devices, password resets, email and second-factor changes,
// card registrations, top-ups, payments, transfers, withdrawals and bank
// links — in one shape (Event), which identity, funding and wallet each
// produce from the tables they own (their activity.go, through Read), and
// the matcher (match.go) that finds a pattern of them in order within a
// window. It imports no other saifu package: the producers import it, and
// ops, which may not import them, reads them through internal/app.
//
// What it promises:
//   - Kinds is the one list of what can be searched; each kind has one
//     producer and one meaning (Kinds' comments say which records count).
//   - Read never returns more than a query's Limit+1 events, whatever the
//     tables hold: one more than the limit says "there were more", so a
//     caller refuses rather than silently cuts.
//   - Match is plain Go over the events it is given: no clock, no I/O, the
//     same answer for the same events in any order.
package activity

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// The kinds of events. Identity's come from its audit entries; funding's
// and wallet's from their records, timed by when each was asked for
// (created_at).
const (
	LoginNewDevice   = "login_new_device"  // a sign-in from a device new to the user
	PasswordReset    = "password_reset"    // a password reset completed
	EmailChange      = "email_change"      // the address changed (confirmed)
	FactorChange     = "factor_change"     // an authenticator app or passkey added or removed
	CardRegistration = "card_registration" // a card registered (active, or removed since)
	CardTopup        = "card_topup"        // a card top-up that succeeded
	BankTopup        = "bank_topup"        // a bank top-up that succeeded
	Payment          = "payment"           // a payment to a merchant that succeeded
	P2P              = "p2p"               // a transfer sent to another user that succeeded
	Withdrawal       = "withdrawal"        // a withdrawal held, in flight or paid (not failed or cancelled)
	BankLink         = "bank_link"         // a bank account linked (active, or removed since)
)

// Kinds lists every kind, in the order events of the same millisecond
// are put in (a sign-in before what it leads to).
var Kinds = []string{LoginNewDevice, PasswordReset, EmailChange, FactorChange, CardRegistration, BankLink,
	CardTopup, BankTopup, Payment, P2P, Withdrawal}

// IsKind reports whether k is one of Kinds.
func IsKind(k string) bool { return slices.Contains(Kinds, k) }

// IsMoney reports whether events of kind k move money (they carry an
// amount): top-ups, payments, P2P transfers, withdrawals.
func IsMoney(k string) bool {
	switch k {
	case CardTopup, BankTopup, Payment, P2P, Withdrawal:
		return true
	}
	return false
}

// CarriesIP reports whether events of kind k carry the client's address:
// identity's (its audit entries keep it); the money records keep none.
func CarriesIP(k string) bool {
	switch k {
	case LoginNewDevice, PasswordReset, EmailChange, FactorChange:
		return true
	}
	return false
}

// KnowsDevice reports whether events of kind k say which device they came
// from and whether it was new to the user: sign-ins and password resets
// (identity records both since the search exists; older entries know
// neither).
func KnowsDevice(k string) bool { return k == LoginNewDevice || k == PasswordReset }

// DeviceKeyLen is the length of a device key: lowercase hex digits that
// name a device without its cookie (identity's: the first 16 digits of the
// cookie's SHA-256, the hash it stores it under).
const DeviceKeyLen = 16

// ValidDeviceKey reports whether s has the form of a device key.
func ValidDeviceKey(s string) bool {
	if len(s) != DeviceKeyLen {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Event is one event of a user's account.
type Event struct {
	Kind   string
	UserID string
	At     time.Time
	// Amount is a money event's amount in yen (0 for the others).
	Amount int64
	// Ref is the record's id (a top-up's, a payment's, …) or, for
	// identity's events, the audit entry's seq ("" until it is linked).
	Ref string
	// IP is the client's address ("" when the record keeps none).
	IP string
	// Device is the device's key ("" when unknown); NewDevice whether
	// the device was new to the user (KnowsDevice kinds).
	Device    string
	NewDevice bool
	// Detail says more in a word: the factor change ("totp.added"), the
	// counterparty ("merchant:…", "to:usr_…"), the funding source.
	Detail string
}

// Query asks a producer for the events of some kinds in a time range.
type Query struct {
	// Kinds are the kinds wanted; a producer reads only its own among
	// them.
	Kinds []string
	// Since and Until bound the events' times, both included.
	Since, Until time.Time
	// Limit bounds the events: a producer returns at most Limit+1, the
	// one more saying that there were more than Limit.
	Limit int
}

// Source is how a producer reads one kind.
type Source struct {
	Kind string
	// SQL selects the kind's events whose time (unix ms) is from its
	// first placeholder to its second, both included, as the columns
	// ref, user_id, at (unix ms), amount, detail; Read adds the LIMIT. It
	// should be served by an index that starts with its equality
	// conditions and ends with the time.
	SQL string
	// Scan, when set, reads a row of SQL's own columns instead.
	Scan func(rows *sql.Rows) (Event, error)
}

// Querier runs a query: a store.DB (its reader pool) or transaction.
type Querier interface {
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// Read runs the sources of the kinds q wants, in order, each limited to
// the room left, and stops once it holds more than q.Limit events.
func Read(ctx context.Context, db Querier, q Query, sources []Source) ([]Event, error) {
	var out []Event
	for _, src := range sources {
		if !slices.Contains(q.Kinds, src.Kind) {
			continue
		}
		room := q.Limit + 1 - len(out)
		if room <= 0 {
			break
		}
		rows, err := db.Query(ctx, src.SQL+` LIMIT ?`, q.Since.UnixMilli(), q.Until.UnixMilli(), room)
		if err != nil {
			return nil, fmt.Errorf("activity: read %s: %w", src.Kind, err)
		}
		out, err = scanAll(rows, src, out)
		if err != nil {
			return nil, fmt.Errorf("activity: read %s: %w", src.Kind, err)
		}
	}
	return out, nil
}

func scanAll(rows *sql.Rows, src Source, out []Event) ([]Event, error) {
	defer rows.Close()
	for rows.Next() {
		var e Event
		var err error
		if src.Scan != nil {
			e, err = src.Scan(rows)
		} else {
			e, err = scanMoney(rows)
		}
		if err != nil {
			return nil, err
		}
		e.Kind = src.Kind
		out = append(out, e)
	}
	return out, rows.Err()
}

// scanMoney reads the default columns: ref, user_id, at, amount, detail.
func scanMoney(rows *sql.Rows) (Event, error) {
	var e Event
	var at int64
	if err := rows.Scan(&e.Ref, &e.UserID, &at, &e.Amount, &e.Detail); err != nil {
		return Event{}, err
	}
	e.At = time.UnixMilli(at).UTC()
	return e, nil
}

// RefOfSeq is the Ref of an audit entry: its seq, "" before it is linked.
func RefOfSeq(seq int64) string {
	if seq <= 0 {
		return ""
	}
	return strconv.FormatInt(seq, 10)
}
