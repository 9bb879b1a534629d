package identity_test

import (
	"context"
	"encoding/json"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/identity/webauthntest"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// racingLogins is how many logins are in flight when the reset runs.
const racingLogins = 6

const pw = "a long enough passphrase 1"

var tokenInMail = regexp.MustCompile(`[A-Za-z0-9_-]{40,}`)

// resetToken asks for a reset of email and returns the mailed token.
func resetToken(t *testing.T, svc *identity.Service, mb *notify.Mailbox, email string) string {
	t.Helper()
	ctx := context.Background()
	before, err := mb.List(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.ForgotPassword(ctx, email, client); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		msgs, err := mb.List(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) > len(before) {
			if tok := tokenInMail.FindString(msgs[len(msgs)-1].Body); tok != "" {
				return tok
			}
		}
	}
	t.Fatal("no reset mail")
	return ""
}

// passkeyOf registers a software passkey for the (privileged) session.
func passkeyOf(t *testing.T, svc *identity.Service, sess identity.Session) *webauthntest.Authenticator {
	t.Helper()
	ctx := context.Background()
	key := webauthntest.New(t)
	cid, opts, err := svc.BeginPasskeyRegistration(ctx, sess)
	if err != nil {
		t.Fatal(err)
	}
	cred, _ := json.Marshal(key.Register(t, opts, "localhost", "https://localhost"))
	if err := svc.FinishPasskeyRegistration(ctx, sess, cid, cred, client); err != nil {
		t.Fatal(err)
	}
	return key
}

// TestResetEndsLoginsInFlight: logins whose credentials were checked
// before a password reset committed, and whose sessions would be created
// after it, get no session — by password, by password and a second
// factor, and by passkey. Each login is held (by a hook) between its
// checks and its session until the reset has finished.
func TestResetEndsLoginsInFlight(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares the account from its sign-up session; login
		// returns racingLogins logins to run (their checks pass), and
		// reset resets the password with whatever factor it needs.
		setup func(t *testing.T, svc *identity.Service, clk *clock, sess identity.Session, email string) (login []func() (identity.LoginResult, error), reset func(token string) error)
	}{
		{name: "password", setup: func(t *testing.T, svc *identity.Service, clk *clock, sess identity.Session, email string) ([]func() (identity.LoginResult, error), func(string) error) {
			ctx := context.Background()
			var logins []func() (identity.LoginResult, error)
			for range racingLogins {
				logins = append(logins, func() (identity.LoginResult, error) { return svc.Login(ctx, email, pw, client) })
			}
			return logins, func(token string) error { return svc.ResetPassword(ctx, token, "a brand new passphrase 2", "", client) }
		}},
		{name: "password and recovery code", setup: func(t *testing.T, svc *identity.Service, clk *clock, sess identity.Session, email string) ([]func() (identity.LoginResult, error), func(string) error) {
			ctx := context.Background()
			secret, _, err := svc.BeginTOTP(ctx, sess)
			if err != nil {
				t.Fatal(err)
			}
			code, _ := totp.Code(secret, clk.Now())
			codes, err := svc.ConfirmTOTP(ctx, sess, code, client)
			if err != nil {
				t.Fatal(err)
			}
			var logins []func() (identity.LoginResult, error)
			for i := range racingLogins {
				mfa, err := svc.Login(ctx, email, pw, client)
				if err != nil || !mfa.MFARequired {
					t.Fatalf("login = %+v, %v", mfa, err)
				}
				logins = append(logins, func() (identity.LoginResult, error) {
					return svc.LoginMFA(ctx, mfa.MFAToken, identity.MethodRecoveryCode, codes[i], client)
				})
			}
			return logins, func(token string) error {
				clk.Advance(time.Minute)
				code, _ := totp.Code(secret, clk.Now())
				return svc.ResetPassword(ctx, token, "a brand new passphrase 2", code, client)
			}
		}},
		{name: "passkey", setup: func(t *testing.T, svc *identity.Service, clk *clock, sess identity.Session, email string) ([]func() (identity.LoginResult, error), func(string) error) {
			ctx := context.Background()
			key := passkeyOf(t, svc, sess)
			var logins []func() (identity.LoginResult, error)
			for range racingLogins {
				cid, opts, err := svc.BeginPasskeyLogin(ctx, client)
				if err != nil {
					t.Fatal(err)
				}
				assertion, _ := json.Marshal(key.Assert(t, opts, "localhost", "https://localhost"))
				logins = append(logins, func() (identity.LoginResult, error) { return svc.FinishPasskeyLogin(ctx, cid, assertion, client) })
			}
			return logins, func(token string) error {
				cid, opts, err := svc.BeginResetPasskey(ctx, token)
				if err != nil {
					return err
				}
				assertion, _ := json.Marshal(key.Assert(t, opts, "localhost", "https://localhost"))
				return svc.ResetPasswordPasskey(ctx, token, "a brand new passphrase 2", cid, assertion, client)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
				svc, mb, clk := newService(t, db)
				ctx := context.Background()
				const email = "racer@example.com"
				u := signup(t, svc, mb, email)
				first, err := svc.Login(ctx, email, pw, client)
				if err != nil {
					t.Fatal(err)
				}
				logins, reset := tt.setup(t, svc, clk, first.Session, email)
				token := resetToken(t, svc, mb, email)

				var arrived sync.WaitGroup
				arrived.Add(len(logins))
				release := make(chan struct{})
				identity.SetBeforeSession(svc, func(string) { arrived.Done(); <-release })
				results := make([]error, len(logins))
				var wg sync.WaitGroup
				for i, login := range logins {
					wg.Go(func() { _, results[i] = login() })
				}
				arrived.Wait() // every login has passed its checks
				if err := reset(token); err != nil {
					t.Fatalf("reset: %v", err)
				}
				close(release)
				wg.Wait()

				var alive int
				if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM sessions WHERE user_id = ?`, u.ID).Scan(&alive); err != nil {
					t.Fatal(err)
				}
				got := map[string]int{"sessions alive": alive}
				for _, err := range results {
					got[string(apperr.CodeOf(err))]++
				}
				want := map[string]int{"sessions alive": 0, string(apperr.InvalidCredentials): len(logins)}
				if diff := cmp.Diff(got, want); diff != "" {
					t.Errorf("logins in flight during a reset (-got +want):\n%s", diff)
				}
			})
		})
	}
}

// TestResetRacingLoginsLeavesNoSession: logins with the old password sent
// together with a reset (no hook: every interleaving the databases allow)
// leave no live session, and none is answered with an error other than
// invalid credentials.
func TestResetRacingLoginsLeavesNoSession(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		svc, mb, _ := newService(t, db)
		ctx := context.Background()
		const email = "racer2@example.com"
		u := signup(t, svc, mb, email)
		token := resetToken(t, svc, mb, email)
		results := make([]error, 4*racingLogins)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range results {
			wg.Go(func() {
				<-start
				_, results[i] = svc.Login(ctx, email, pw, client)
			})
		}
		var resetErr error
		wg.Go(func() {
			<-start
			time.Sleep(5 * time.Millisecond) // let some logins get ahead
			resetErr = svc.ResetPassword(ctx, token, "a brand new passphrase 2", "", client)
		})
		close(start)
		wg.Wait()
		if resetErr != nil {
			t.Fatalf("reset: %v", resetErr)
		}
		var alive int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM sessions WHERE user_id = ?`, u.ID).Scan(&alive); err != nil {
			t.Fatal(err)
		}
		if alive != 0 {
			t.Errorf("%d sessions of logins with the old password outlived the reset", alive)
		}
		for _, err := range results {
			if err != nil && apperr.CodeOf(err) != apperr.InvalidCredentials {
				t.Errorf("login racing a reset: %v", err)
			}
		}
	})
}
