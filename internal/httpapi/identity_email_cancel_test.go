package httpapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// changeEmail moves the agent's account from its address to newAddr
// through the API and returns the cancel code mailed to the old address.
func (a *agent) changeEmail(t *testing.T, oldAddr, newAddr string) string {
	t.Helper()
	a.do("POST", "/api/v1/email/change", map[string]string{"new_email": newAddr}).want(t, 202)
	code := find(t, sixDigits, a.e.mail.wait(t, newAddr, "Code to confirm", 1).Subject)
	cancel := find(t, cancelToken, a.e.mail.wait(t, oldAddr, "change of your email", 1).Body)
	a.do("POST", "/api/v1/email/change/verify", map[string]string{"code": code}).want(t, 200)
	return cancel
}

// TestEmailChangeCancelNeedsSecondFactor: once a change is applied, the
// cancel code from the old mailbox alone no longer reverts it when the
// account has a second factor: the factor is required, then the change is
// undone and both addresses are told.
func TestEmailChangeCancelNeedsSecondFactor(t *testing.T) {
	eachIDEnv(t, identity.Limits{}, func(t *testing.T, e *idEnv) {
		const oldAddr, newAddr = "kei@example.com", "kei.new@example.com"
		a := e.agent("phone", "198.51.100.70")
		a.signup(oldAddr, pwAlice)
		secret, _ := a.enrolTOTP()
		cancel := a.changeEmail(t, oldAddr, newAddr)

		old := e.agent("old-mailbox", "198.51.100.71")
		old.do("POST", "/api/v1/email/change/cancel", map[string]string{"cancel_code": cancel}).want(t, 401, "mfa_required")
		old.do("POST", "/api/v1/email/change/cancel", map[string]string{"cancel_code": cancel, "code": "000000"}).want(t, 401, "invalid_credentials")
		if me := a.do("GET", "/api/v1/me", nil).want(t, 200); me.str("email") != newAddr {
			t.Fatalf("a refused cancel changed the account: %s", me.raw)
		}
		e.clock.Advance(30 * time.Second)
		code, err := totp.Code(secret, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		r := old.do("POST", "/api/v1/email/change/cancel", map[string]string{"cancel_code": cancel, "code": code}).want(t, 200)
		if r.str("status") != "cancelled" {
			t.Fatalf("cancel = %s, want cancelled", r.raw)
		}
		a.do("GET", "/api/v1/me", nil).want(t, 401)
		if lr := e.agent("phone", "198.51.100.70").login(oldAddr, pwAlice).want(t, 200); lr.body["mfa_required"] != true {
			t.Fatalf("login at the old address = %s", lr.raw)
		}
		e.mail.wait(t, oldAddr, "was cancelled", 1)
		e.mail.wait(t, newAddr, "was cancelled", 1)
	})
}

// TestEmailChangeCancelWithoutFactorHolds: without a second factor, a
// cancel of an applied change from the old mailbox reverts nothing and
// resets nothing: the account is held, both addresses are told, nobody
// signs in or gets a reset token at either address, no money can leave,
// until support resolves the hold; then the kept address resets the
// password as usual.
func TestEmailChangeCancelWithoutFactorHolds(t *testing.T) {
	eachIDEnv(t, identity.Limits{}, func(t *testing.T, e *idEnv) {
		const oldAddr, newAddr = "rin@example.com", "rin.new@example.com"
		a := e.agent("phone", "198.51.100.72")
		uid := a.signup(oldAddr, pwAlice)
		cancel := a.changeEmail(t, oldAddr, newAddr)

		r := e.agent("old-mailbox", "198.51.100.73").do("POST", "/api/v1/email/change/cancel", map[string]string{"cancel_code": cancel}).want(t, 200)
		if r.str("status") != "held" {
			t.Fatalf("cancel = %s, want held", r.raw)
		}
		e.agent("x", "198.51.100.73").do("POST", "/api/v1/email/change/cancel", map[string]string{"cancel_code": cancel}).want(t, 401, "invalid_credentials")
		a.do("GET", "/api/v1/me", nil).want(t, 401)
		for _, addr := range []string{oldAddr, newAddr} {
			if m := e.mail.wait(t, addr, "on hold", 1); !strings.Contains(m.Body, oldAddr+" to "+newAddr) {
				t.Errorf("hold notice to %s: %s", addr, m.Body)
			}
		}
		u, err := e.id.User(context.Background(), uid)
		if err != nil || u.Hold != identity.HoldEmailDispute || u.Email != newAddr {
			t.Fatalf("user = %+v, %v; want held at %s", u, err, newAddr)
		}
		e.agent("phone", "198.51.100.72").login(newAddr, pwAlice).want(t, 403, "account_frozen")
		e.agent("phone", "198.51.100.72").login(oldAddr, pwAlice).want(t, 401, "invalid_credentials")
		for _, addr := range []string{oldAddr, newAddr} {
			e.agent("forgot", "198.51.100.74").do("POST", "/api/v1/password/forgot", map[string]string{"email": addr}).want(t, 202)
		}
		time.Sleep(300 * time.Millisecond) // the outbox would have sent a reset mail by now
		for _, addr := range []string{oldAddr, newAddr} {
			for _, m := range e.mail.all(addr) {
				if strings.Contains(m.Subject, "Resetting") {
					t.Errorf("a reset token went to %s while the account is held", addr)
				}
			}
		}

		// Support has established the owner behind the previous address.
		ctx := context.Background()
		if err := e.id.ResolveHold(ctx, uid, "someone@example.com", "operator:op_1", "checked"); err == nil {
			t.Error("ResolveHold kept an address of neither side")
		}
		if err := e.id.ResolveHold(ctx, uid, oldAddr, "operator:op_1", "KYC document re-checked by video call"); err != nil {
			t.Fatal(err)
		}
		e.mail.wait(t, newAddr, "hold on your account was resolved", 1)
		e.mail.wait(t, oldAddr, "hold on your account was resolved", 1)
		b := e.agent("phone", "198.51.100.72")
		b.do("POST", "/api/v1/password/forgot", map[string]string{"email": oldAddr}).want(t, 202)
		token := find(t, resetToken, e.mail.wait(t, oldAddr, "Resetting", 1).Body)
		b.do("POST", "/api/v1/password/reset", map[string]string{"token": token, "new_password": pwNew}).want(t, 200)
		b.login(oldAddr, pwNew).want(t, 200)
		if me := b.do("GET", "/api/v1/me", nil).want(t, 200); me.str("email") != oldAddr {
			t.Fatalf("me = %s", me.raw)
		}
	})
}

// TestHeldAccountMovesNoMoney: a held account is frozen for the wallet
// and funding too (a payout queued before the hold is not released).
func TestHeldAccountMovesNoMoney(t *testing.T) {
	eachWalletEnv(t, wallet.Limits{}, func(t *testing.T, e *walletEnv) {
		a, uid, addr := e.user(true)
		if err := e.wallet.CheckFrozen(context.Background(), uid); err != nil {
			t.Fatalf("CheckFrozen before the hold = %v", err)
		}
		cancel := a.changeEmail(t, addr, "moved."+addr)
		e.agent("old-mailbox", "198.51.100.75").do("POST", "/api/v1/email/change/cancel", map[string]string{"cancel_code": cancel}).want(t, 200)
		if err := e.wallet.CheckFrozen(context.Background(), uid); apperr.CodeOf(err) != apperr.AccountFrozen {
			t.Fatalf("CheckFrozen of a held account = %v, want account_frozen", err)
		}
	})
}
