package httpapi

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestOpsEndToEnd drives the operator surface over real HTTP on SQLite
// and PostgreSQL: bootstrap → first login with TOTP → a second operator
// invited by mail, accepted, logged in with TOTP, using its role → payment switched
// off (a payment code and an MPM payment answer 503 capability_disabled)
// → on again (they work) → the audit log, read through the API, holds
// every step with its actor and reason, and its chain verifies.
func TestOpsEndToEnd(t *testing.T) {
	storetest.Each(t, walletSets, func(t *testing.T, db *store.DB) {
		e := newOpsEnv(t, db)
		ctx := context.Background()

		// Bootstrap: the admin is pending until a login with a code.
		tok, err := e.issueBootstrap(t)
		if err != nil {
			t.Fatal(err)
		}
		admin := &operator{agent: e.agent("ops-console", "203.0.113.10"), email: "admin@saifu.example"}
		b := admin.do("POST", "/ops/api/bootstrap", map[string]string{"token": tok, "email": admin.email, "password": opsTestPassword}).want(t, 201)
		admin.id, admin.secret = b.str("operator_id"), b.str("totp_secret")
		if !strings.HasPrefix(b.str("otpauth_uri"), "otpauth://totp/") || admin.secret == "" {
			t.Fatalf("bootstrap: %s", b.raw)
		}
		admin.do("POST", "/ops/api/login", map[string]string{"email": admin.email, "password": opsTestPassword}).want(t, 401, "invalid_credentials")
		lr := e.opLogin(t, admin).want(t, 200)
		op, _ := lr.body["operator"].(map[string]any)
		if op["operator_id"] != admin.id || op["email"] != admin.email || !slices.Equal(anyStrings(op["roles"]), []string{"admin"}) {
			t.Fatalf("login: %s", lr.raw)
		}

		// A second operator, invited: the mail carries the token and no
		// link; accepted; pending until a login with a code; then its role
		// (risk) works, and no more than it.
		riskID, tok := e.invite(t, admin, "risk.team@saifu.example", "risk")
		listed := admin.do("GET", "/ops/api/operators", nil).want(t, 200)
		if !strings.Contains(listed.raw, `"operator_id":"`+riskID+`"`) || !strings.Contains(listed.raw, `"status":"invited"`) {
			t.Fatalf("operators after the invitation: %s", listed.raw)
		}
		risk := e.accept(t, "risk.team@saifu.example", tok)
		if risk.id != riskID {
			t.Fatalf("accepted as %s, invited as %s", risk.id, riskID)
		}
		risk.do("POST", "/ops/api/login", map[string]string{"email": risk.email, "password": opsTestPassword, "code": "000000"}).want(t, 401, "invalid_credentials")
		rl := e.opLogin(t, risk).want(t, 200)
		if rop, _ := rl.body["operator"].(map[string]any); !slices.Equal(anyStrings(rop["roles"]), []string{"risk"}) {
			t.Fatalf("invited operator's login: %s", rl.raw)
		}
		risk.do("PUT", "/ops/api/switches/p2p", map[string]any{"enabled": true, "reason": "the invited risk operator's first switch"}).want(t, 200)
		risk.do("GET", "/ops/api/operators", nil).want(t, 403, "forbidden")
		// The same operator from another network: a notice by mail, no link.
		away := &operator{agent: e.agent("ops-console", "198.51.100.200"), id: risk.id, email: risk.email, secret: risk.secret}
		e.opLogin(t, away).want(t, 200)
		if m := e.mail.wait(t, risk.email, "New operator sign-in", 1); !strings.Contains(m.Body, "198.51.100.200") || strings.Contains(m.Body, "://") {
			t.Errorf("new-device notice:\n%s", m.Body)
		}
		risk.do("POST", "/ops/api/operators", map[string]any{"email": "x@saifu.example", "roles": []string{"admin"}}).want(t, 403, "forbidden")

		// Payment off: the user's payment code and MPM payment are refused.
		ua, uid, _ := e.user(true)
		e.fund(uid, 5000, 0)
		shop, _ := e.merchant("Ops Shop")
		qr := shop.do("GET", "/api/v1/merchant/qr", nil).want(t, 200).str("payload")
		sw := admin.do("PUT", "/ops/api/switches/payment", map[string]any{"enabled": false, "reason": "incident 42: card fraud"}).want(t, 200)
		if sw.body["enabled"] != false || sw.str("reason") != "incident 42: card fraud" || sw.str("updated_by") != "operator:"+admin.id {
			t.Fatalf("switch off: %s", sw.raw)
		}
		ua.post("/api/v1/payment-codes", map[string]any{}).want(t, 503, "capability_disabled")
		ua.post("/api/v1/payments", map[string]any{"merchant_qr": qr, "amount": 300}).want(t, 503, "capability_disabled")
		list := admin.do("GET", "/ops/api/switches", nil).want(t, 200)
		if got := switchStates(list); got["payment"] || !got["p2p"] || len(got) != 8 {
			t.Fatalf("switches after off: %s", list.raw)
		}

		// On again: they work.
		admin.do("PUT", "/ops/api/switches/payment", map[string]any{"enabled": true, "reason": "incident 42 contained"}).want(t, 200)
		ua.post("/api/v1/payment-codes", map[string]any{}).want(t, 201)
		ua.post("/api/v1/payments", map[string]any{"merchant_qr": qr, "amount": 300}).want(t, 201)

		// The audit log: chained, verified, and holding every step.
		if _, err := audit.New(db).Chain(ctx); err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Verify(ctx, db, e.clock.Now())
		if err != nil || !rep.OK() {
			t.Fatalf("audit verify: %v %+v", err, rep)
		}
		var entries []map[string]any
		for after, pages := "", 0; ; pages++ {
			if pages > 20 {
				t.Fatal("audit: more than 20 pages")
			}
			page := admin.do("GET", "/ops/api/audit?limit=3&after="+after, nil).want(t, 200)
			items, _ := page.body["items"].([]any)
			for _, it := range items {
				entries = append(entries, it.(map[string]any))
			}
			if after = page.str("next_cursor"); after == "" {
				break
			}
		}
		actor := "operator:" + admin.id
		type step struct{ actor, action, details string }
		var got []step
		for i, en := range entries {
			if i > 0 && en["prev_hash"] != entries[i-1]["hash"] {
				t.Errorf("audit entry %v: prev_hash does not link to the entry before", en["seq"])
			}
			a, _ := en["actor"].(string)
			if a == actor || a == "bootstrap" || a == "system" {
				d, _ := en["details"].(string)
				if act := en["action"].(string); act != "switch.disabled" && act != "switch.enabled" {
					d = ""
				}
				got = append(got, step{a, en["action"].(string), d})
			}
		}
		for _, want := range []step{
			{"system", "operator.bootstrap_token_issued", ""},
			{"bootstrap", "operator.created", ""},
			{actor, "operator.activated", ""},
			{actor, "operator.login", ""},
			{actor, "switch.disabled", "incident 42: card fraud"},
			{actor, "switches.read", ""},
			{actor, "switch.enabled", "incident 42 contained"},
			{actor, "operator.invited", ""},
		} {
			if !slices.Contains(got, want) {
				t.Errorf("audit: no entry %+v in %+v", want, got)
			}
		}
		for _, want := range []string{"operator.invite_accepted", "operator.created", "operator.activated", "switch.enabled", "operator.denied"} {
			found := false
			for _, en := range entries {
				found = found || en["action"] == want && (en["actor"] == "operator:"+riskID || en["actor"] == actor && want == "operator.created")
			}
			if !found {
				t.Errorf("audit: no %s entry of the invited operator", want)
			}
		}
		// The audit reads themselves are audited (linked by the next Chain).
		if _, err := audit.New(db).Chain(ctx); err != nil {
			t.Fatal(err)
		}
		last := admin.do("GET", "/ops/api/audit?limit=500&after="+strconv.FormatInt(int64(entries[len(entries)-1]["seq"].(float64)), 10), nil).want(t, 200)
		if !strings.Contains(last.raw, `"action":"audit.read"`) {
			t.Errorf("audit reads not audited: %s", last.raw)
		}
		admin.do("POST", "/ops/api/logout", nil).want(t, 204)
		admin.do("GET", "/ops/api/switches", nil).want(t, 401, "unauthenticated")
	})
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// switchStates maps capability → enabled of a GET /ops/api/switches.
func switchStates(r resp) map[string]bool {
	out := map[string]bool{}
	items, _ := r.body["items"].([]any)
	for _, it := range items {
		m := it.(map[string]any)
		out[m["capability"].(string)] = m["enabled"] == true
	}
	return out
}
