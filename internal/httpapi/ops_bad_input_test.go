package httpapi

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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

// inviteState is what a refused invitation or acceptance must leave as
// it was: the operators, the invitations (and the spent ones), the
// sessions.
type inviteState struct {
	operators, invites, spent, sessions int64
}

func readInviteState(t *testing.T, db *store.DB) inviteState {
	t.Helper()
	var s inviteState
	err := db.QueryRow(context.Background(), `SELECT (SELECT COUNT(*) FROM ops_operators), (SELECT COUNT(*) FROM ops_invites),
		(SELECT COUNT(*) FROM ops_invites WHERE used_at <> 0), (SELECT COUNT(*) FROM ops_sessions)`).Scan(&s.operators, &s.invites, &s.spent, &s.sessions)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestOpsInviteBadInput: each refused invitation or acceptance over HTTP
// is a clear error in English and Japanese that changes nothing, on
// SQLite and PostgreSQL: no or unknown roles, an invalid address or
// language, an operator's address (in any case), a weak password, a
// reused token, parallel acceptances of one token (one wins), an expired
// token (the injected clock past 24 h), a made-up one. The service's
// refusals are audited.
func TestOpsInviteBadInput(t *testing.T) {
	storetest.Each(t, walletSets, func(t *testing.T, db *store.DB) {
		e := newOpsEnv(t, db)
		admin := e.bootstrap(t)
		refused := func(t *testing.T, r resp, status int, code string) {
			t.Helper()
			r.want(t, status, code)
			if er, _ := r.body["error"].(map[string]any); er["message"] == "" || er["message_ja"] == "" {
				t.Errorf("no English and Japanese message: %s", r.raw)
			}
		}
		audited := func(action string) int {
			var n int
			if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = ?`, action).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		// Invitations refused.
		s0 := readInviteState(t, db)
		for _, tc := range []struct {
			name       string
			body       any
			wantStatus int
			wantCode   string
			wantAudit  bool
		}{
			{"empty roles", map[string]any{"email": "a@saifu.example", "roles": []string{}}, 400, "invalid_request", true},
			{"no roles", map[string]any{"email": "a@saifu.example"}, 400, "invalid_request", true},
			{"unknown role", map[string]any{"email": "a@saifu.example", "roles": []string{"viewer", "root"}}, 400, "invalid_request", true},
			{"five roles", map[string]any{"email": "a@saifu.example", "roles": []string{"viewer", "support", "risk", "admin", "admin"}}, 400, "invalid_request", true},
			{"invalid address", map[string]any{"email": "not an address", "roles": []string{"viewer"}}, 400, "invalid_request", true},
			{"unknown language", map[string]any{"email": "a@saifu.example", "roles": []string{"viewer"}, "lang": "fr"}, 400, "invalid_request", true},
			{"an operator's address", map[string]any{"email": " ADMIN@Saifu.Example", "roles": []string{"viewer"}}, 409, "conflict", true},
			{"no address", map[string]any{"roles": []string{"viewer"}}, 400, "invalid_request", false},
			{"unknown field", map[string]any{"email": "a@saifu.example", "roles": []string{"viewer"}, "role": "admin"}, 400, "invalid_request", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := audited("operator.invite_refused")
				refused(t, admin.do("POST", "/ops/api/operators", tc.body), tc.wantStatus, tc.wantCode)
				if after := readInviteState(t, db); after != s0 {
					t.Errorf("state changed: %+v, was %+v", after, s0)
				}
				if got, want := audited("operator.invite_refused")-before, map[bool]int{true: 1}[tc.wantAudit]; got != want {
					t.Errorf("%d refusals audited, want %d", got, want)
				}
			})
		}
		if ms := e.mail.all("a@saifu.example"); len(ms) != 0 {
			t.Errorf("refused invitations mailed: %+v", ms)
		}

		// A weak password keeps the token good; a spent token is refused.
		_, tok := e.invite(t, admin, "viewer.op@saifu.example", "viewer")
		a := e.agent("invitee", "198.51.100.20")
		s1 := readInviteState(t, db)
		refused(t, a.do("POST", "/ops/api/invites/accept", map[string]string{"token": tok, "password": "short"}), 400, "invalid_request")
		refused(t, a.do("POST", "/ops/api/invites/accept", map[string]string{"token": tok}), 400, "invalid_request")
		if after := readInviteState(t, db); after != s1 {
			t.Errorf("a refused acceptance changed: %+v, was %+v", after, s1)
		}
		a.do("POST", "/ops/api/invites/accept", map[string]string{"token": tok, "password": opsTestPassword}).want(t, 200)
		s2 := readInviteState(t, db)
		refused(t, a.do("POST", "/ops/api/invites/accept", map[string]string{"token": tok, "password": opsTestPassword}), 401, "invalid_credentials")

		// A second invitation to an operator's address (pending, in
		// another case) is refused.
		refused(t, admin.do("POST", "/ops/api/operators", map[string]any{"email": "Viewer.Op@SAIFU.example", "roles": []string{"admin"}}), 409, "conflict")
		if after := readInviteState(t, db); after != s2 {
			t.Errorf("a reused token or a second invitation changed: %+v, was %+v", after, s2)
		}

		// Parallel acceptances of one token: one wins.
		_, tok = e.invite(t, admin, "support.op@saifu.example", "support")
		s3 := readInviteState(t, db)
		const parallel = 6
		statuses := make(chan int, parallel)
		var wg sync.WaitGroup
		for i := range parallel {
			ag := e.agent("invitee", fmt.Sprintf("198.51.100.%d", 30+i))
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses <- ag.do("POST", "/ops/api/invites/accept", map[string]string{"token": tok, "password": opsTestPassword}).status
			}()
		}
		wg.Wait()
		close(statuses)
		got := map[int]int{}
		for s := range statuses {
			got[s]++
		}
		if diff := cmp.Diff(got, map[int]int{200: 1, 401: parallel - 1}); diff != "" {
			t.Errorf("parallel acceptances (-got +want):\n%s", diff)
		}
		if after := readInviteState(t, db); after.operators != s3.operators+1 || after.spent != s3.spent+1 {
			t.Errorf("after parallel acceptances: %+v, was %+v; want one more operator and one more spent invitation", after, s3)
		}

		// Expired: the clock past 24 hours; a made-up token.
		_, tok = e.invite(t, admin, "late.op@saifu.example", "viewer")
		e.clock.Advance(24*time.Hour + time.Second)
		s4 := readInviteState(t, db)
		refused(t, a.do("POST", "/ops/api/invites/accept", map[string]string{"token": tok, "password": opsTestPassword}), 401, "invalid_credentials")
		refused(t, a.do("POST", "/ops/api/invites/accept", map[string]string{"token": "opsi_" + strings.Repeat("B", 43), "password": opsTestPassword}), 401, "invalid_credentials")
		if after := readInviteState(t, db); after != s4 {
			t.Errorf("an expired or made-up token changed: %+v, was %+v", after, s4)
		}
		// weak password ×1 (the missing one never reached the service),
		// reused, parallel losers, expired.
		if got, want := audited("operator.invite_accept_refused"), 1+1+(parallel-1)+1; got != want {
			t.Errorf("refused acceptances audited: %d, want %d", got, want)
		}
	})
}
