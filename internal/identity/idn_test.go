package identity_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestSignupPunycodeIsOneAccount: signing up with the xn-- form of an
// address already registered in Unicode form makes no second account; the
// owner is told, and both forms find the one user. A look-alike domain is
// refused in its xn-- form as in its Unicode form.
func TestSignupPunycodeIsOneAccount(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		svc, mb, _ := newService(t, db)
		ctx := context.Background()
		u := signup(t, svc, mb, "pay@例え.jp")
		if err := svc.Signup(ctx, "pay@xn--r8jz45g.jp", "another long passphrase 2", client); err != nil {
			t.Fatalf("Signup(ace form) = %v, want the usual answer", err)
		}
		var told bool
		for deadline := time.Now().Add(10 * time.Second); !told && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			msgs, err := mb.List(ctx, "pay@例え.jp")
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				told = told || strings.Contains(m.Subject, "tried to sign up")
			}
		}
		if !told {
			t.Error("the owner of pay@例え.jp was not told of the sign-up with pay@xn--r8jz45g.jp")
		}
		if msgs, _ := mb.List(ctx, "pay@xn--r8jz45g.jp"); len(msgs) != 0 {
			t.Errorf("a verification code went to the ace form: %+v", msgs)
		}
		for _, addr := range []string{"pay@xn--r8jz45g.jp", "PAY@XN--R8JZ45G.JP", "pay@例え.jp"} {
			got, err := svc.UserByEmail(ctx, addr)
			if err != nil || got.ID != u.ID {
				t.Errorf("UserByEmail(%q) = %q, %v; want %q", addr, got.ID, err, u.ID)
			}
		}
		for _, addr := range []string{"pay@p\u0430ypal.com", "pay@xn--pypal-4ve.com", "pay@xn--a.jp"} {
			if err := svc.Signup(ctx, addr, "a long enough passphrase 1", client); apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("Signup(%q) = %v, want invalid_request", addr, err)
			}
		}
	})
}
