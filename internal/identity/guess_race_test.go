package identity_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// parallelGuesses is how many wrong guesses race for one code; more than
// the default CodeAttempts and MFAAttempts (5).
const parallelGuesses = 12

// burstBehindLock runs guess parallelGuesses times in parallel. On
// PostgreSQL the rows matched by lockQuery are held locked by another
// transaction until every guess waits on the lock, so all of them are in
// flight together (the worst interleaving of a real burst); SQLite
// serialises writers anyway.
func burstBehindLock(t *testing.T, db *store.DB, lockQuery string, lockArgs []any, guess func()) {
	t.Helper()
	ctx := context.Background()
	var lock *sql.Tx
	if db.Dialect == store.Postgres {
		var err error
		if lock, err = db.W.BeginTx(ctx, nil); err != nil {
			t.Fatal(err)
		}
		defer lock.Rollback()
		if _, err := lock.ExecContext(ctx, db.Rebind(lockQuery), lockArgs...); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range parallelGuesses {
		wg.Go(guess)
	}
	if lock != nil {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var n int
			if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n >= parallelGuesses {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d guesses waiting on the lock", n)
			}
		}
		if err := lock.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}

func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// lastCode waits for the newest mail to addr and returns the 6-digit code
// at the end of its subject.
func lastCode(t *testing.T, mbList func() (string, bool)) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if s, ok := mbList(); ok {
			return s[len(s)-6:]
		}
	}
	t.Fatal("no mail")
	return ""
}

// TestSignupCodeGuessesBoundedUnderBurst: a parallel burst of wrong guesses
// at a sign-up code is compared at most CodeAttempts times — afterwards the
// right code is refused and the counter never passed the limit.
func TestSignupCodeGuessesBoundedUnderBurst(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		svc, mb, _ := newService(t, db)
		ctx := context.Background()
		const email = "burst@example.com"
		if err := svc.Signup(ctx, email, "a long enough passphrase 1", client); err != nil {
			t.Fatal(err)
		}
		code := lastCode(t, func() (string, bool) {
			msgs, err := mb.List(ctx, email)
			if err != nil || len(msgs) == 0 {
				return "", false
			}
			return msgs[len(msgs)-1].Subject, true
		})
		burstBehindLock(t, db, `SELECT 1 FROM signups WHERE email = ? FOR UPDATE`, []any{email}, func() {
			svc.VerifySignup(ctx, email, wrongCode(code), client)
		})
		var attempts int
		if err := db.QueryRow(ctx, `SELECT attempts FROM signups WHERE email = ?`, email).Scan(&attempts); err != nil {
			t.Fatal(err)
		}
		if attempts > identity.DefaultLimits.CodeAttempts {
			t.Errorf("attempts = %d after a burst of %d: more guesses compared than the limit %d", attempts, parallelGuesses, identity.DefaultLimits.CodeAttempts)
		}
		if _, _, _, err := svc.VerifySignup(ctx, email, code, client); err == nil {
			t.Error("the right code was accepted after the guess limit")
		}
	})
}

// TestEmailChangeCodeGuessesBoundedUnderBurst: the same for the code sent
// to a new address.
func TestEmailChangeCodeGuessesBoundedUnderBurst(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		svc, mb, _ := newService(t, db)
		ctx := context.Background()
		signup(t, svc, mb, "change@example.com")
		res, err := svc.Login(ctx, "change@example.com", "a long enough passphrase 1", client)
		if err != nil {
			t.Fatal(err)
		}
		const newEmail = "changed@example.com"
		if err := svc.ChangeEmail(ctx, res.Session, newEmail, client); err != nil {
			t.Fatal(err)
		}
		code := lastCode(t, func() (string, bool) {
			msgs, err := mb.List(ctx, newEmail)
			if err != nil || len(msgs) == 0 {
				return "", false
			}
			return msgs[len(msgs)-1].Subject, true
		})
		burstBehindLock(t, db, `SELECT 1 FROM email_changes WHERE new_email = ? FOR UPDATE`, []any{newEmail}, func() {
			svc.VerifyEmailChange(ctx, res.Session, wrongCode(code), client)
		})
		var attempts int
		if err := db.QueryRow(ctx, `SELECT attempts FROM email_changes WHERE new_email = ?`, newEmail).Scan(&attempts); err != nil {
			t.Fatal(err)
		}
		if attempts > identity.DefaultLimits.CodeAttempts {
			t.Errorf("attempts = %d after a burst of %d: more guesses compared than the limit %d", attempts, parallelGuesses, identity.DefaultLimits.CodeAttempts)
		}
		if _, err := svc.VerifyEmailChange(ctx, res.Session, code, client); err == nil {
			t.Error("the right code was accepted after the guess limit")
		}
	})
}

// TestMFATokenGuessesBoundedUnderBurst: one mfa_token takes at most
// MFAAttempts second-factor guesses, even when they arrive together.
func TestMFATokenGuessesBoundedUnderBurst(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		svc, mb, clk := newService(t, db)
		ctx := context.Background()
		const email = "mfa-burst@example.com"
		signup(t, svc, mb, email)
		res, err := svc.Login(ctx, email, "a long enough passphrase 1", client)
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := svc.BeginTOTP(ctx, res.Session)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.Code(secret, clk.Now())
		if _, err := svc.ConfirmTOTP(ctx, res.Session, code, client); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		mfa, err := svc.Login(ctx, email, "a long enough passphrase 1", client)
		if err != nil || !mfa.MFARequired {
			t.Fatalf("login = %+v, %v", mfa, err)
		}
		code, _ = totp.Code(secret, clk.Now())
		burstBehindLock(t, db, `SELECT 1 FROM mfa_challenges FOR UPDATE`, nil, func() {
			svc.LoginMFA(ctx, mfa.MFAToken, identity.MethodTOTP, wrongCode(code), client)
		})
		var attempts int // a challenge past its limit may be gone
		if err := db.QueryRow(ctx, `SELECT attempts FROM mfa_challenges`).Scan(&attempts); err != nil && !errors.Is(err, store.ErrNoRows) {
			t.Fatal(err)
		}
		if attempts > identity.DefaultLimits.MFAAttempts {
			t.Errorf("attempts = %d after a burst of %d: more guesses than the limit %d", attempts, parallelGuesses, identity.DefaultLimits.MFAAttempts)
		}
		if _, err := svc.LoginMFA(ctx, mfa.MFAToken, identity.MethodTOTP, code, client); err == nil {
			t.Error("the right code was accepted after the guess limit")
		}
	})
}
