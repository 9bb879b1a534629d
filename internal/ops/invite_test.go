package ops_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

var inviteTokenRE = regexp.MustCompile(`\bopsi_[A-Za-z0-9_-]{43}\b`)

// queued returns the bodies of the mails queued to addr, oldest first.
func queued(t *testing.T, db *store.DB, addr string) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT subject, body FROM notify_outbox WHERE LOWER(recipient) = LOWER(?) ORDER BY id`, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var subject, body string
		if err := rows.Scan(&subject, &body); err != nil {
			t.Fatal(err)
		}
		out = append(out, subject+"\n"+body)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// adminSession bootstraps an admin and logs it in.
func adminSession(t *testing.T, o *ops.Operators, db *store.DB, c *clock) ops.Session {
	t.Helper()
	en := bootstrap(t, o, db, c, "admin@saifu.example")
	c.add(30 * time.Second)
	code, _ := totp.Code(en.TOTPSecret, c.now())
	res, err := o.Login(context.Background(), "admin@saifu.example", pw, code, ops.Client{IP: "192.0.2.1", UserAgent: "console"})
	if err != nil {
		t.Fatal(err)
	}
	return res.Session
}

// inviteToken invites email and returns the token of its mail, which
// carries no link.
func inviteToken(t *testing.T, o *ops.Operators, db *store.DB, admin ops.Session, email string, roles ...string) (ops.Invitation, string) {
	t.Helper()
	inv, err := o.Invite(context.Background(), admin, email, roles, "en")
	if err != nil {
		t.Fatal(err)
	}
	mails := queued(t, db, email)
	if len(mails) == 0 {
		t.Fatalf("no invitation mail to %s", email)
	}
	last := mails[len(mails)-1]
	if strings.Contains(last, "://") || strings.Contains(last, "http") {
		t.Errorf("the invitation mail carries a link:\n%s", last)
	}
	tok := inviteTokenRE.FindString(last)
	if tok == "" {
		t.Fatalf("no token in the invitation mail:\n%s", last)
	}
	return inv, tok
}

// counts is what a refused invitation or acceptance must leave as it was.
type counts struct{ operators, invites, usedInvites, mails int64 }

func readCounts(t *testing.T, db *store.DB) counts {
	t.Helper()
	var c counts
	err := db.QueryRow(context.Background(), `SELECT (SELECT COUNT(*) FROM ops_operators), (SELECT COUNT(*) FROM ops_invites),
		(SELECT COUNT(*) FROM ops_invites WHERE used_at <> 0), (SELECT COUNT(*) FROM notify_outbox)`).Scan(&c.operators, &c.invites, &c.usedInvites, &c.mails)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// auditActions returns the actions and details of the audit entries of
// action, in order.
func auditDetails(t *testing.T, db *store.DB, action string) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT details FROM audit_log WHERE action = ? ORDER BY seq`, action)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// TestInviteAccept: an admin's invitation mails a token (no link); its
// acceptance enrols the operator with the invited roles, pending until a
// login with a TOTP code; the listing shows it invited, then pending,
// then active with its last login.
func TestInviteAccept(t *testing.T) {
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperators(t, db, c)
		admin := adminSession(t, o, db, c)
		inv, tok := inviteToken(t, o, db, admin, "Risk.Op@Saifu.Example", ops.RoleRisk, ops.RoleViewer)
		if want := c.now().Add(24 * time.Hour); !inv.ExpiresAt.Equal(want) {
			t.Errorf("expires %v, want %v", inv.ExpiresAt, want)
		}
		status := func() map[string]string {
			items, _, err := o.ListOperators(ctx, admin)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, it := range items {
				out[it.Email] = it.Status + " " + strings.Join(it.Roles, ",")
			}
			return out
		}
		if diff := cmp.Diff(status(), map[string]string{"admin@saifu.example": "active admin", "Risk.Op@saifu.example": "invited viewer,risk"}); diff != "" {
			t.Errorf("listing after the invitation (-got +want):\n%s", diff)
		}
		en, err := o.AcceptInvite(ctx, tok, pw, ops.Client{IP: "198.51.100.7"})
		if err != nil {
			t.Fatal(err)
		}
		if en.OperatorID != inv.OperatorID || !strings.HasPrefix(en.OTPAuthURI, "otpauth://totp/") {
			t.Fatalf("enrolment %+v for invitation %+v", en, inv)
		}
		if diff := cmp.Diff(status(), map[string]string{"admin@saifu.example": "active admin", "Risk.Op@saifu.example": "pending viewer,risk"}); diff != "" {
			t.Errorf("listing after the acceptance (-got +want):\n%s", diff)
		}
		c.add(30 * time.Second)
		code, _ := totp.Code(en.TOTPSecret, c.now())
		res, err := o.Login(ctx, "risk.op@saifu.example", pw, code, ops.Client{IP: "198.51.100.7"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(res.Session.Operator, ops.Operator{ID: inv.OperatorID, Email: "Risk.Op@saifu.example",
			Roles: []string{ops.RoleViewer, ops.RoleRisk}, Status: ops.StatusActive}); diff != "" {
			t.Errorf("operator (-got +want):\n%s", diff)
		}
		items, _, err := o.ListOperators(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.Status != ops.StatusActive || it.LastLoginAt.IsZero() {
				t.Errorf("listed %+v: want active with a last login", it)
			}
		}
		if got := auditDetails(t, db, "operator.invite_accepted"); len(got) != 1 {
			t.Errorf("acceptances audited: %q", got)
		}
	})
}

// TestInviteAcceptedOnce: of parallel acceptances of one token, exactly
// one enrols the operator; the others are refused (and audited).
func TestInviteAcceptedOnce(t *testing.T) {
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperators(t, db, c)
		admin := adminSession(t, o, db, c)
		_, tok := inviteToken(t, o, db, admin, "op@saifu.example", ops.RoleSupport)
		const parallel = 6
		codes := make(chan apperr.Code, parallel)
		var wg sync.WaitGroup
		for range parallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := o.AcceptInvite(ctx, tok, pw, ops.Client{IP: "198.51.100.7"})
				codes <- codeOf(err)
			}()
		}
		wg.Wait()
		close(codes)
		got := map[apperr.Code]int{}
		for c := range codes {
			got[c]++
		}
		if diff := cmp.Diff(got, map[apperr.Code]int{"": 1, apperr.InvalidCredentials: parallel - 1}); diff != "" {
			t.Errorf("outcomes (-got +want):\n%s", diff)
		}
		if got := readCounts(t, db); got.operators != 2 || got.usedInvites != 1 {
			t.Errorf("after the race: %+v, want 2 operators and 1 spent invitation", got)
		}
		if got := auditDetails(t, db, "operator.invite_accept_refused"); len(got) != parallel-1 {
			t.Errorf("refused acceptances audited: %q, want %d", got, parallel-1)
		}
	})
}

// TestInviteRefused: each refused invitation is a clear error, audited,
// that changes nothing else: no invitation, no mail.
func TestInviteRefused(t *testing.T) {
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperators(t, db, c)
		admin := adminSession(t, o, db, c)
		viewer := admin
		viewer.Operator.Roles = []string{ops.RoleViewer} // as Authenticate would read it after a demotion
		tests := []struct {
			name      string
			by        ops.Session
			email     string
			roles     []string
			wantCode  apperr.Code
			wantAudit string
		}{
			{name: "no roles", by: admin, email: "a@saifu.example", roles: nil, wantCode: apperr.Invalid, wantAudit: "operator.invite_refused"},
			{name: "empty roles", by: admin, email: "a@saifu.example", roles: []string{}, wantCode: apperr.Invalid, wantAudit: "operator.invite_refused"},
			{name: "unknown role", by: admin, email: "a@saifu.example", roles: []string{"root"}, wantCode: apperr.Invalid, wantAudit: "operator.invite_refused"},
			{name: "invalid address", by: admin, email: "not an address", roles: []string{ops.RoleViewer}, wantCode: apperr.Invalid, wantAudit: "operator.invite_refused"},
			{name: "an operator's address", by: admin, email: " ADMIN@saifu.EXAMPLE ", roles: []string{ops.RoleViewer}, wantCode: apperr.Conflict, wantAudit: "operator.invite_refused"},
			{name: "not an admin", by: viewer, email: "a@saifu.example", roles: []string{ops.RoleViewer}, wantCode: apperr.Forbidden, wantAudit: "operator.denied"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before, audits := readCounts(t, db), len(auditDetails(t, db, tt.wantAudit))
				_, err := o.Invite(ctx, tt.by, tt.email, tt.roles, "ja")
				if got := codeOf(err); got != tt.wantCode {
					t.Errorf("Invite: %v, want %s", err, tt.wantCode)
				}
				if after := readCounts(t, db); after != before {
					t.Errorf("changed: %+v, was %+v", after, before)
				}
				if got := len(auditDetails(t, db, tt.wantAudit)); got != audits+1 {
					t.Errorf("%s entries: %d, want %d", tt.wantAudit, got, audits+1)
				}
			})
		}
	})
}

// TestInviteAcceptRefused: an expired token, a reused one, a made-up one
// and a weak password are refused and change nothing; after a weak
// password the token still works, and a second invitation of the address
// replaces the first (whose token then stops working).
func TestInviteAcceptRefused(t *testing.T) {
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperators(t, db, c)
		admin := adminSession(t, o, db, c)
		cl := ops.Client{IP: "198.51.100.7"}
		refused := func(t *testing.T, tok, password string, want apperr.Code) {
			t.Helper()
			before := readCounts(t, db)
			if _, err := o.AcceptInvite(ctx, tok, password, cl); codeOf(err) != want {
				t.Errorf("AcceptInvite: %v, want %s", err, want)
			}
			if after := readCounts(t, db); after != before {
				t.Errorf("changed: %+v, was %+v", after, before)
			}
		}

		_, expired := inviteToken(t, o, db, admin, "late@saifu.example", ops.RoleViewer)
		c.add(24*time.Hour + time.Second)
		refused(t, expired, pw, apperr.InvalidCredentials)

		_, first := inviteToken(t, o, db, admin, "op@saifu.example", ops.RoleViewer)
		_, second := inviteToken(t, o, db, admin, "op@saifu.example", ops.RoleSupport)
		refused(t, first, pw, apperr.InvalidCredentials)
		refused(t, "opsi_"+strings.Repeat("A", 43), pw, apperr.InvalidCredentials)
		refused(t, "not a token", pw, apperr.InvalidCredentials)
		refused(t, second, "password", apperr.Invalid)
		refused(t, second, "short", apperr.Invalid)
		if _, err := o.AcceptInvite(ctx, second, pw, cl); err != nil {
			t.Fatalf("after a weak password, the token: %v", err)
		}
		refused(t, second, pw, apperr.InvalidCredentials)
		if diff := cmp.Diff(auditDetails(t, db, "operator.invite_accept_refused"),
			[]string{"reason=expired", "reason=password_policy", "reason=password_policy", "reason=used"}); diff != "" {
			t.Errorf("refusals audited (-got +want):\n%s", diff)
		}
		for _, d := range auditDetails(t, db, "operator.invite_accept_refused") {
			if strings.Contains(d, pw) || strings.Contains(d, second) {
				t.Errorf("audit details carry a secret: %q", d)
			}
		}
	})
}
