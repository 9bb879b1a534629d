package httpapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// opsState is what a refused operator call must leave as it was: the
// operators, their sessions, and the switches.
type opsState struct {
	operators, active, sessions, switched int64
}

func readOpsState(t *testing.T, db *store.DB) opsState {
	t.Helper()
	var s opsState
	err := db.QueryRow(context.Background(), `SELECT
		(SELECT COUNT(*) FROM ops_operators),
		(SELECT COUNT(*) FROM ops_operators WHERE status = 'active'),
		(SELECT COUNT(*) FROM ops_sessions),
		(SELECT COUNT(*) FROM ops_switches)`).Scan(&s.operators, &s.active, &s.sessions, &s.switched)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestOpsBadInput: each refusal of the operator surface is a clear error
// and changes nothing, on SQLite and PostgreSQL: an expired, reused or
// made-up bootstrap token, a second bootstrap once an admin exists, a
// wrong, missing or replayed TOTP code, an unknown capability, a missing
// or oversized reason, sessions past their idle and absolute limits.
func TestOpsBadInput(t *testing.T) {
	storetest.Each(t, walletSets, func(t *testing.T, db *store.DB) {
		e := newOpsEnv(t, db)
		a := e.agent("ops-console", "203.0.113.50")
		body := func(tok string) map[string]string {
			return map[string]string{"token": tok, "email": "admin@saifu.example", "password": opsTestPassword}
		}
		unchanged := func(t *testing.T, before opsState) {
			t.Helper()
			if after := readOpsState(t, db); after != before {
				t.Errorf("state changed: %+v, was %+v", after, before)
			}
		}

		// Bootstrap tokens: expired, made up.
		tok, err := e.issueBootstrap(t)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour + time.Second)
		s0 := readOpsState(t, db)
		a.do("POST", "/ops/api/bootstrap", body(tok)).want(t, 401, "invalid_credentials")
		a.do("POST", "/ops/api/bootstrap", body("opsb_"+strings.Repeat("A", 43))).want(t, 401, "invalid_credentials")
		a.do("POST", "/ops/api/bootstrap", body("not a token")).want(t, 401, "invalid_credentials")
		unchanged(t, s0)

		// Used once; a second use is refused.
		if tok, err = e.issueBootstrap(t); err != nil {
			t.Fatal(err)
		}
		b := a.do("POST", "/ops/api/bootstrap", body(tok)).want(t, 201)
		admin := &operator{agent: a, id: b.str("operator_id"), email: "admin@saifu.example", secret: b.str("totp_secret")}
		s1 := readOpsState(t, db)
		a.do("POST", "/ops/api/bootstrap", body(tok)).want(t, 401, "invalid_credentials")
		unchanged(t, s1)

		// A token issued while the admin is still pending …
		tok2, err := e.issueBootstrap(t)
		if err != nil {
			t.Fatal(err)
		}

		// TOTP: wrong, missing; then a good login and its code replayed.
		e.clock.Advance(30 * time.Second)
		code, _ := totp.Code(admin.secret, e.clock.Now())
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		login := func(code string) resp {
			return a.do("POST", "/ops/api/login", map[string]string{"email": admin.email, "password": opsTestPassword, "code": code})
		}
		login(wrong).want(t, 401, "invalid_credentials")
		login("").want(t, 401, "invalid_credentials")
		a.do("POST", "/ops/api/login", map[string]string{"email": admin.email, "password": "wrong " + opsTestPassword, "code": code}).want(t, 401, "invalid_credentials")
		unchanged(t, s1) // still pending, no session
		admin.token = login(code).want(t, 200).str("session_token")
		s2 := readOpsState(t, db)
		if s2.active != 1 || s2.sessions != 1 {
			t.Fatalf("after the first login: %+v", s2)
		}
		login(code).want(t, 401, "invalid_credentials")
		unchanged(t, s2)

		// … cannot make a second admin once the first is active, and no
		// new token is issued.
		a.do("POST", "/ops/api/bootstrap", map[string]string{"token": tok2, "email": "second@saifu.example", "password": opsTestPassword}).want(t, 409, "conflict")
		if _, err := e.issueBootstrap(t); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("saifu ops bootstrap with an admin: %v, want conflict", err)
		}
		unchanged(t, s2)

		// Switches: unknown capability, missing or oversized reason, no
		// enabled, unknown field.
		for _, tc := range []struct {
			name, path string
			body       any
			wantStatus int
			wantCode   string
		}{
			{"unknown capability", "/ops/api/switches/teleport", map[string]any{"enabled": false, "reason": "x"}, 404, "not_found"},
			{"oversized reason", "/ops/api/switches/payment", map[string]any{"enabled": false, "reason": strings.Repeat("長", 501)}, 400, "invalid_request"},
			{"no reason", "/ops/api/switches/payment", map[string]any{"enabled": false, "reason": " "}, 400, "invalid_request"},
			{"no enabled", "/ops/api/switches/payment", map[string]any{"reason": "x"}, 400, "invalid_request"},
			{"unknown field", "/ops/api/switches/payment", map[string]any{"enabled": false, "reason": "x", "force": true}, 400, "invalid_request"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := admin.do("PUT", tc.path, tc.body).want(t, tc.wantStatus, tc.wantCode)
				if e, _ := r.body["error"].(map[string]any); e["message"] == "" || e["message_ja"] == "" {
					t.Errorf("no English and Japanese message: %s", r.raw)
				}
				unchanged(t, s2)
			})
		}
		admin.do("GET", "/ops/api/audit?limit=0", nil).want(t, 400, "invalid_request")
		admin.do("GET", "/ops/api/audit?after=-1", nil).want(t, 400, "invalid_request")

		// Sessions: 15 minutes idle ends one; use keeps it, up to 8 hours.
		e.clock.Advance(14 * time.Minute)
		admin.do("GET", "/ops/api/switches", nil).want(t, 200)
		e.clock.Advance(15 * time.Minute)
		admin.do("GET", "/ops/api/switches", nil).want(t, 401, "unauthenticated")
		e.opLogin(t, admin).want(t, 200)
		for used := time.Duration(0); used < 8*time.Hour-14*time.Minute; used += 14 * time.Minute {
			e.clock.Advance(14 * time.Minute)
			admin.do("GET", "/ops/api/switches", nil).want(t, 200)
		}
		e.clock.Advance(14 * time.Minute)
		admin.do("GET", "/ops/api/switches", nil).want(t, 401, "unauthenticated")
	})
}
