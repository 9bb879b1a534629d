package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// searchPerson is a user planted for the incident search.
type searchPerson struct {
	a               *agent
	uid, addr, card string
}

// searchPlant is the incident search's scene: the env and the attacker.
type searchPlant struct {
	t  *testing.T
	fe *fundEnv
}

// person signs up a KYC-verified user; with a card, they register one and
// top it up once (1,000 yen, through 3-D Secure: a card's first top-up).
func (p searchPlant) person(addr string, card bool) *searchPerson {
	p.t.Helper()
	a, uid := p.fe.user(p.t, addr, "YAMADA TARO")
	sp := &searchPerson{a: a, uid: uid, addr: addr}
	if card {
		sp.card = a.do("POST", "/api/v1/cards", map[string]string{"card_token": p.fe.cardToken(p.t, "4242424242424242")}).want(p.t, 201).str("card_id")
		p.topup(a, sp.card, 1000)
	}
	return sp
}

// topup tops up amount from card as a, passing 3-D Secure when asked, and
// returns the top-up's id once it succeeded.
func (p searchPlant) topup(a *agent, card string, amount int64) string {
	p.t.Helper()
	r := a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "card", "card_id": card}, "amount": amount}).want(p.t, 201)
	if r.str("status") == "requires_action" {
		na, _ := r.body["next_action"].(map[string]any)
		p.fe.challenge(p.t, na["url"].(string))
	}
	id := r.str("topup_id")
	if got := a.do("GET", "/api/v1/topups/"+id, nil).want(p.t, 200); got.str("status") != "succeeded" {
		p.t.Fatalf("top-up %s: %s", id, got.raw)
	}
	return id
}

// reset has by reset the person's password (by their mailed token) and
// sign in with it; it returns by's session on the account.
func (p searchPlant) reset(by *agent, sp *searchPerson) *agent {
	p.t.Helper()
	by.do("POST", "/api/v1/password/forgot", map[string]string{"email": sp.addr}).want(p.t, 202)
	tok := find(p.t, resetToken, p.fe.mail.wait(p.t, sp.addr, "Resetting", 1).Body)
	by.do("POST", "/api/v1/password/reset", map[string]string{"token": tok, "new_password": pwNew}).want(p.t, 200)
	s := *by // the same browser (its device cookie), another session
	s.token = ""
	s.login(sp.addr, pwNew).want(p.t, 200)
	return &s
}

// searchFound is a search's answer as the test compares it: per user, the
// matched events ("kind amount ref"; identity's "kind new|known"), the
// transactions ("user kind ref amount") and the totals.
type searchFound struct {
	Users        map[string][]string
	Compensation map[string]int64
	Transactions []string
	Totals       [3]int64
}

func matchedLine(kind, amount, ref, newDevice string) string {
	if amount == "0" {
		if newDevice == "true" {
			return kind + " new"
		}
		return kind + " known"
	}
	return kind + " " + amount + " " + ref
}

func parseFound(t *testing.T, r resp) searchFound {
	t.Helper()
	f := searchFound{Users: map[string][]string{}, Compensation: map[string]int64{}}
	users, _ := r.body["users"].([]any)
	for _, u := range users {
		um := u.(map[string]any)
		uid := um["user_id"].(string)
		f.Compensation[uid] = int64(um["compensation"].(float64))
		for _, m := range um["matched"].([]any) {
			mm := m.(map[string]any)
			ref, _ := mm["ref"].(string)
			f.Users[uid] = append(f.Users[uid], matchedLine(mm["event"].(string), fmt.Sprint(mm["amount"]), ref, fmt.Sprint(mm["new_device"])))
		}
	}
	for _, tx := range r.body["transactions"].([]any) {
		m := tx.(map[string]any)
		f.Transactions = append(f.Transactions, fmt.Sprintf("%s %s %s %v", m["user_id"], m["kind"], m["id"], m["amount"]))
	}
	tot := r.body["totals"].(map[string]any)
	f.Totals = [3]int64{int64(tot["users"].(float64)), int64(tot["transactions"].(float64)), int64(tot["amount"].(float64))}
	return f
}

// deviceKey is the key a search shows for the device of a's cookie.
func deviceKey(t *testing.T, a *agent, base string) string {
	t.Helper()
	u, _ := url.Parse(base)
	for _, c := range a.hc.Jar.Cookies(u) {
		if c.Name == deviceCookie {
			sum := sha256.Sum256([]byte(c.Value))
			return hex.EncodeToString(sum[:])[:16]
		}
	}
	t.Fatal("the agent has no device cookie")
	return ""
}

// TestOpsSearch: 7pay's question — who had a password reset from a new
// device and then a card top-up within a day? — is one request, over
// HTTP on SQLite and PostgreSQL. Two victims (the attacker resets, signs
// in on their browser, tops up the victims' cards) are planted among
// decoys: a reset without a top-up, a top-up before the reset, a top-up
// two days after, a reset from the user's own device followed by a
// top-up, and two users whose reset and top-up interleave with the
// victims'. The search finds exactly the victims and exactly their
// transactions, with the right totals; the CSV export has the same rows;
// the same question without "new device" also finds the own-device
// reset; filters by address range and device narrow as they say; and a
// compensation requested from the search holds exactly the victims'
// sums, which another risk operator's approval pays.
func TestOpsSearch(t *testing.T) {
	storetest.Each(t, opsFundSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Six users register the sandbox's one frictionless Visa (its
		// fingerprint's attempts count against CardAttemptsUser), which
		// the one-card-many-accounts rule would refuse.
		e, fe := newOpsFundEnvOpts(t, db, envOpts{fundingLimits: funding.Limits{UsersPerCardMax: 10, CardAttemptsUser: 10},
			rules: rulesWithout("paypay-one-card-many-accounts")})
		p := searchPlant{t: t, fe: fe}
		since := fe.clock.Now().Add(-time.Minute).UTC().Truncate(time.Second).Format(time.RFC3339)

		v1, v2 := p.person("victim1@example.com", true), p.person("=v2@example.com", true)
		noTopup, before, late := p.person("no-topup@example.com", false), p.person("before@example.com", true), p.person("late@example.com", true)
		own, x, y := p.person("own@example.com", true), p.person("x@example.com", false), p.person("y@example.com", true)
		attacker := e.agent("attacker-browser", "203.0.113.66")

		// Sessions idle out after 30 minutes: each actor signs in again
		// after a pause (from the same browser: no new device).
		fe.clock.Advance(time.Hour)
		v1s := p.reset(attacker, v1) // the attacker has no cookie yet: a new device
		fe.clock.Advance(10 * time.Minute)
		p.reset(attacker, x) // x: a reset, no top-up …
		fe.clock.Advance(time.Minute)
		y.a.login(y.addr, pwAlice).want(t, 200)
		p.topup(y.a, y.card, 3000) // … y: a top-up, no reset
		fe.clock.Advance(time.Hour)
		v1s.login(v1.addr, pwNew).want(t, 200)
		t1 := p.topup(v1s, v1.card, 5000)
		fe.clock.Advance(2 * time.Hour)
		v1s.login(v1.addr, pwNew).want(t, 200)
		t2 := p.topup(v1s, v1.card, 7000)
		v2s := p.reset(attacker, v2)
		fe.clock.Advance(20 * time.Minute)
		t3 := p.topup(v2s, v2.card, 20000)
		p.reset(attacker, noTopup)
		before.a.login(before.addr, pwAlice).want(t, 200)
		p.topup(before.a, before.card, 4000)
		fe.clock.Advance(time.Hour)
		p.reset(attacker, before)
		owns := p.reset(own.a, own) // from the user's own browser: a known device
		fe.clock.Advance(time.Hour)
		owns.login(own.addr, pwNew).want(t, 200)
		t4 := p.topup(owns, own.card, 6000)
		lates := p.reset(attacker, late)
		fe.clock.Advance(49 * time.Hour)
		lates.login(late.addr, pwNew).want(t, 200)
		p.topup(lates, late.card, 8000)
		key := deviceKey(t, attacker, fe.srv.URL)
		admin := e.bootstrap(t) // operators last: their sessions idle out after 15 minutes
		riskA, riskB := e.operatorWith(t, admin, "risk"), e.operatorWith(t, admin, "risk")
		support := e.operatorWith(t, admin, "support")

		sevenPay := map[string]any{"steps": []any{map[string]any{"event": "password_reset", "new_device": true}, map[string]any{"event": "card_topup"}},
			"within": "24h", "since": since}
		victims := searchFound{
			Users: map[string][]string{
				v1.uid: {"password_reset new", "card_topup 5000 " + t1, "card_topup 7000 " + t2},
				v2.uid: {"password_reset new", "card_topup 20000 " + t3},
			},
			Compensation: map[string]int64{v1.uid: 12000, v2.uid: 20000},
			Transactions: []string{v1.uid + " card_topup " + t1 + " 5000", v1.uid + " card_topup " + t2 + " 7000", v2.uid + " card_topup " + t3 + " 20000"},
			Totals:       [3]int64{2, 3, 32000},
		}
		doc := loadSpec(t) // every answer below is checked against docs/openapi.yaml
		r := doc.r(t, "POST", "/ops/api/search", riskA.do("POST", "/ops/api/search", sevenPay)).want(t, 200)
		if d := cmp.Diff(parseFound(t, r), victims); d != "" {
			t.Errorf("7pay's question (-got +want):\n%s", d)
		}
		if r.str("since") != since || r.str("until") != fe.clock.Now().UTC().Format(time.RFC3339Nano) {
			t.Errorf("searched %s to %s, want %s to now (the default)", r.str("since"), r.str("until"), since)
		}

		// The CSV has the same rows, formula-like cells defused; its
		// audit entry says the result left as a file.
		csvRes := searchCSV(t, riskA, sevenPay)
		var exported string
		if err := db.QueryRow(ctx, `SELECT details FROM audit_log WHERE action = 'search' ORDER BY pos DESC LIMIT 1`).Scan(&exported); err != nil ||
			!strings.HasPrefix(exported, "exported as csv: events=password_reset(new_device)>card_topup") {
			t.Errorf("the CSV export audited as %q (%v)", exported, err)
		}
		if cd := csvRes.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") {
			t.Errorf("Content-Disposition %q", cd)
		}
		rows, err := csv.NewReader(strings.NewReader(csvRes.raw)).ReadAll()
		if err != nil || len(rows) == 0 {
			t.Fatalf("CSV: %v\n%s", err, csvRes.raw)
		}
		if d := cmp.Diff(rows[0], []string{"user_id", "email", "event", "at", "amount", "ref", "ip", "device", "new_device", "detail", "steps"}); d != "" {
			t.Errorf("CSV header (-got +want):\n%s", d)
		}
		fromCSV := map[string][]string{}
		emails := map[string]string{}
		for _, row := range rows[1:] {
			fromCSV[row[0]] = append(fromCSV[row[0]], matchedLine(row[2], row[4], row[5], row[8]))
			emails[row[0]] = row[1]
		}
		if d := cmp.Diff(fromCSV, victims.Users); d != "" {
			t.Errorf("CSV rows (-got +want):\n%s", d)
		}
		if d := cmp.Diff(emails, map[string]string{v1.uid: v1.addr, v2.uid: "'" + v2.addr}); d != "" {
			t.Errorf("CSV addresses (-got +want; a cell starting with = gets a quote):\n%s", d)
		}

		// Without "new device", the reset from the user's own browser counts.
		plain := map[string]any{"events": []string{"password_reset", "card_topup"}, "within": "24h", "since": since}
		got := parseFound(t, doc.r(t, "POST", "/ops/api/search", riskA.do("POST", "/ops/api/search", plain)).want(t, 200))
		if d := cmp.Diff(slices.Sorted(maps.Keys(got.Users)), slices.Sorted(slices.Values([]string{v1.uid, v2.uid, own.uid}))); d != "" {
			t.Errorf("without new_device, users (-got +want):\n%s", d)
		}
		if d := cmp.Diff(got.Users[own.uid], []string{"password_reset known", "card_topup 6000 " + t4}); d != "" {
			t.Errorf("the own-device reset (-got +want):\n%s", d)
		}
		if got.Totals != [3]int64{3, 4, 38000} {
			t.Errorf("totals without new_device: %v", got.Totals)
		}

		// The attacker's address range finds the victims alone; so does
		// their device, in every account it signed in to as new.
		byRange := map[string]any{"events": []string{"password_reset", "card_topup"}, "within": "24h", "since": since, "ip_range": "203.0.113.0/24"}
		if d := cmp.Diff(parseFound(t, riskA.do("POST", "/ops/api/search", byRange).want(t, 200)), victims); d != "" {
			t.Errorf("by address range (-got +want):\n%s", d)
		}
		byDevice := map[string]any{"events": []string{"login_new_device"}, "since": since, "device": key}
		got = parseFound(t, doc.r(t, "POST", "/ops/api/search", riskA.do("POST", "/ops/api/search", byDevice)).want(t, 200))
		if d := cmp.Diff(slices.Sorted(maps.Keys(got.Users)), slices.Sorted(slices.Values([]string{v1.uid, x.uid, v2.uid, noTopup.uid, before.uid, late.uid}))); d != "" {
			t.Errorf("by device, users (-got +want):\n%s", d)
		}

		// Support may not search; a risk operator's search is audited
		// with its query.
		doc.r(t, "POST", "/ops/api/search", support.do("POST", "/ops/api/search", sevenPay)).want(t, 403, "forbidden")
		var details string
		if err := db.QueryRow(ctx, `SELECT details FROM audit_log WHERE action = 'search' ORDER BY pos LIMIT 1`).Scan(&details); err != nil ||
			!strings.HasPrefix(details, "events=password_reset(new_device)>card_topup within=24h0m0s since=") || !strings.Contains(details, "users=2 transactions=3 amount=32000") {
			t.Errorf("search audited as %q (%v)", details, err)
		}

		// A compensation from the search: exactly the victims' sums,
		// paid once another risk operator approves.
		m1, m2 := fe.balance(t, v1.uid, "money"), fe.balance(t, v2.uid, "money")
		c := doc.r(t, "POST", "/ops/api/compensations", riskA.do("POST", "/ops/api/compensations",
			map[string]any{"reason": "7pay incident: top-ups after resets from new devices", "search": sevenPay})).want(t, 202)
		if c.str("status") != "pending_approval" || num(c, "total") != 32000 {
			t.Fatalf("compensation: %s", c.raw)
		}
		id := c.str("compensation_id")
		var from string
		if err := db.QueryRow(ctx, `SELECT details FROM audit_log WHERE action = 'compensation.from_search' AND target = ?`, "compensation:"+id).Scan(&from); err != nil ||
			!strings.HasPrefix(from, "2 items, 32000 yen: events=password_reset(new_device)>card_topup within=24h0m0s") {
			t.Errorf("the compensation's search audited as %q (%v)", from, err)
		}
		items := map[string]int64{}
		for _, it := range riskB.do("GET", "/ops/api/compensations/"+id, nil).want(t, 200).body["items"].([]any) {
			m := it.(map[string]any)
			items[m["user_id"].(string)] = int64(m["amount"].(float64))
		}
		if d := cmp.Diff(items, victims.Compensation); d != "" {
			t.Errorf("the approver sees (-got +want):\n%s", d)
		}
		riskA.do("POST", "/ops/api/compensations/"+id+"/approve", map[string]string{"reason": "mine"}).want(t, 403, "four_eyes_required")
		riskB.do("POST", "/ops/api/compensations/"+id+"/approve", map[string]string{"reason": "victims checked"}).want(t, 200)
		if a, b := fe.balance(t, v1.uid, "money")-m1, fe.balance(t, v2.uid, "money")-m2; a != 12000 || b != 20000 {
			t.Errorf("paid %d and %d, want 12000 and 20000", a, b)
		}
		if rep, err := ledger.Verify(ctx, db); err != nil || !rep.OK() {
			t.Errorf("ledger verify: %v %+v", err, rep)
		}
	})
}

// searchCSV runs a search as op, asking for CSV.
func searchCSV(t *testing.T, op *operator, body any) resp {
	t.Helper()
	j, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", op.e.srv.URL+"/ops/api/search", bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/csv")
	req.Header.Set("Authorization", "Bearer "+op.token)
	res, err := op.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV search: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), raw)
	}
	// A byte order mark first, so that Excel reads it as UTF-8.
	text, ok := strings.CutPrefix(string(raw), "\ufeff")
	if !ok {
		t.Errorf("CSV without a UTF-8 byte order mark: %q", raw[:min(len(raw), 16)])
	}
	return resp{status: res.StatusCode, raw: text, header: res.Header}
}

// TestOpsSearchBadInput: every bad search, and every bad compensation
// from a search, is a clear 400 in English and Japanese, on SQLite and
// PostgreSQL, and changes nothing: no compensation is stored, and no
// search is answered (each refusal is audited as one).
func TestOpsSearchBadInput(t *testing.T) {
	storetest.Each(t, walletSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		doc := loadSpec(t)
		e := newOpsEnv(t, db)
		admin := e.bootstrap(t)
		riskOp := e.operatorWith(t, admin, "risk")
		count := func(q string) (n int64) {
			if err := db.QueryRow(ctx, q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		two := []string{"password_reset", "card_topup"}
		for _, tt := range []struct {
			name string
			body any
			want string // in the English message (or its fields)
		}{
			{"an unknown event", map[string]any{"events": []string{"password_reset", "topup"}, "within": "24h"}, `unknown event "topup"`},
			{"a duration in days", map[string]any{"events": two, "within": "1d"}, "within must be a duration"},
			{"a window over 90 days", map[string]any{"events": two, "within": "2200h"}, "from 1m to 2160h"},
			{"no window", map[string]any{"events": two}, "give within"},
			{"since after until", map[string]any{"events": two, "within": "24h", "since": "2019-07-03T00:00:00Z", "until": "2019-07-01T00:00:00Z"}, "since must not be after until"},
			{"a date without a time", map[string]any{"events": two, "within": "24h", "since": "2019-07-01"}, "RFC 3339"},
			{"a range over 92 days", map[string]any{"events": two, "within": "24h", "since": "2019-01-01T00:00:00Z", "until": "2019-07-01T00:00:00Z"}, "at most 92 days"},
			{"a bad CIDR", map[string]any{"events": two, "within": "24h", "ip_range": "203.0.113.0/33"}, "CIDR"},
			{"a device that is no key", map[string]any{"events": two, "within": "24h", "device": "iPhone"}, "device key"},
			{"min over max", map[string]any{"events": two, "within": "24h", "min_amount": 10, "max_amount": 5}, "at most max_amount"},
			{"events and steps", map[string]any{"events": two, "steps": []any{map[string]any{"event": "p2p"}}, "within": "24h"}, "one of the two"},
			{"new_device on a top-up", map[string]any{"steps": []any{map[string]any{"event": "card_topup", "new_device": true}}}, "new_device applies"},
			{"nine events", map[string]any{"events": slices.Repeat([]string{"p2p"}, 9), "within": "24h"}, "give 1 to 8 events"},
			{"an unknown member", map[string]any{"evnts": two, "within": "24h"}, "evnts"},
			{"an amount as text", `{"events": ["card_topup"], "min_amount": "100"}`, "min_amount"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := doc.r(t, "POST", "/ops/api/search", riskOp.do("POST", "/ops/api/search", tt.body)).want(t, 400, "invalid_request")
				e, _ := r.body["error"].(map[string]any)
				if said := fmt.Sprint(e["message"], e["fields"]); !strings.Contains(said, tt.want) {
					t.Errorf("%s does not say %q", r.raw, tt.want)
				}
				if ja, _ := e["message_ja"].(string); ja == "" {
					t.Errorf("no Japanese message: %s", r.raw)
				}
			})
		}

		_, uid, _ := e.user(false)
		seven := map[string]any{"events": two, "within": "24h"}
		for _, tt := range []struct {
			name string
			body any
			want string
		}{
			{"items and a search", map[string]any{"reason": "r", "search": seven, "items": []any{map[string]any{"user_id": uid, "amount": 1}}}, "give items or a search, not both"},
			{"a bad search", map[string]any{"reason": "r", "search": map[string]any{"events": two, "within": "1d"}}, "within must be a duration"},
			{"no money in the pattern", map[string]any{"reason": "r", "search": map[string]any{"events": []string{"password_reset", "email_change"}, "within": "24h"}}, "needs a money event"},
			{"nobody matches", map[string]any{"reason": "r", "search": seven}, "matches nobody"},
			{"no reason", map[string]any{"search": seven}, "give the reason"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := doc.r(t, "POST", "/ops/api/compensations", riskOp.do("POST", "/ops/api/compensations", tt.body)).want(t, 400, "invalid_request")
				if !strings.Contains(r.raw, tt.want) {
					t.Errorf("%s does not say %q", r.raw, tt.want)
				}
			})
		}
		if n := count(`SELECT COUNT(*) FROM ops_compensations`); n != 0 {
			t.Errorf("refused requests stored %d compensations", n)
		}
		if n := count(`SELECT COUNT(*) FROM ops_approvals`); n != 0 {
			t.Errorf("refused requests made %d approvals", n)
		}
		// The one search answered is the one that matched nobody (for a
		// compensation, refused after it).
		if n := count(`SELECT COUNT(*) FROM audit_log WHERE action = 'search'`); n != 1 {
			t.Errorf("%d searches answered, want 1", n)
		}
	})
}
