package ops_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestLoginFailuresAudited: a refused login on an operator's address is
// an "operator.login_failed" entry with its reason class and without the
// password or code; one on an unknown address is no entry (the throttles
// count it), and past the throttle nothing is written either.
func TestLoginFailuresAudited(t *testing.T) {
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperators(t, db, c)
		en := bootstrap(t, o, db, c, "admin@saifu.example")
		c.add(30 * time.Second)
		code, _ := totp.Code(en.TOTPSecret, c.now())
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		cl := ops.Client{IP: "192.0.2.1", UserAgent: "console"}
		if _, err := o.Login(ctx, "admin@saifu.example", pw, code, cl); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct{ name, email, password, code string }{
			{"wrong password", "admin@saifu.example", "wrong " + pw, code},
			{"missing code", "admin@saifu.example", pw, ""},
			{"wrong code", "admin@saifu.example", pw, wrong},
			{"replayed code", "ADMIN@saifu.example", pw, code},
			{"unknown address", "nobody@saifu.example", pw, code},
		} {
			if _, err := o.Login(ctx, tt.email, tt.password, tt.code, cl); codeOf(err) != apperr.InvalidCredentials {
				t.Errorf("%s: %v, want invalid_credentials", tt.name, err)
			}
		}
		got := auditDetails(t, db, "operator.login_failed")
		if diff := cmp.Diff(got, []string{"reason=password", "reason=code_missing", "reason=code_wrong", "reason=code_replayed"}); diff != "" {
			t.Errorf("failed logins audited (-got +want):\n%s", diff)
		}
		var targets, secrets int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN details LIKE ? OR details LIKE ? OR details LIKE ? THEN 1 ELSE 0 END), 0)
			FROM audit_log WHERE action = 'operator.login_failed' AND target = ? AND ip = ?`,
			"%"+pw+"%", "%"+code+"%", "%"+wrong+"%", "operator:"+en.OperatorID, cl.IP).Scan(&targets, &secrets); err != nil {
			t.Fatal(err)
		}
		if targets != 4 || secrets != 0 {
			t.Errorf("entries naming the operator and the address: %d (want 4); carrying a secret: %d", targets, secrets)
		}

		// Unknown addresses past the throttle write nothing at all.
		for range ops.DefaultLoginLimits.IP.N + 5 {
			o.Login(ctx, "nobody@saifu.example", pw, code, ops.Client{IP: "192.0.2.77"})
		}
		if got := auditDetails(t, db, "operator.login_failed"); len(got) != 4 {
			t.Errorf("after a flood of unknown addresses: %d entries, want 4", len(got))
		}
	})
}

// TestOperatorNewDeviceNotice: a login from a network or user agent the
// operator has not logged in from mails the operator (no link); the
// first login, which activates the operator, and a login from a known
// device do not.
func TestOperatorNewDeviceNotice(t *testing.T) {
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperators(t, db, c)
		en := bootstrap(t, o, db, c, "admin@saifu.example")
		login := func(cl ops.Client) {
			t.Helper()
			c.add(30 * time.Second)
			code, _ := totp.Code(en.TOTPSecret, c.now())
			if _, err := o.Login(ctx, "admin@saifu.example", pw, code, cl); err != nil {
				t.Fatal(err)
			}
		}
		office := ops.Client{IP: "203.0.113.10", UserAgent: "console/1"}
		for _, tt := range []struct {
			name      string
			client    ops.Client
			wantMails int
		}{
			{"first login", office, 0},
			{"same device", office, 0},
			{"same network, other address", ops.Client{IP: "203.0.113.99", UserAgent: "console/1"}, 0},
			{"other network", ops.Client{IP: "198.51.100.3", UserAgent: "console/1"}, 1},
			{"other user agent", ops.Client{IP: "203.0.113.10", UserAgent: "curl/8"}, 2},
			{"back at the office", office, 2},
		} {
			login(tt.client)
			mails := queued(t, db, "admin@saifu.example")
			if len(mails) != tt.wantMails {
				t.Fatalf("%s: %d mails, want %d", tt.name, len(mails), tt.wantMails)
			}
			for _, m := range mails {
				if !strings.Contains(m, "New operator sign-in") && !strings.Contains(m, "新しい端末からのオペレーターログイン") || strings.Contains(m, "://") {
					t.Errorf("%s: mail:\n%s", tt.name, m)
				}
			}
		}
		if got := queued(t, db, "admin@saifu.example"); !strings.Contains(got[0], "198.51.100.3") {
			t.Errorf("the notice does not say where from:\n%s", got[0])
		}
	})
}
