package identity_test

import (
	"context"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestRenewToken: a renewed session answers to its new token only, keeps
// its id and privilege, and another user's session, an ended one or an
// expired one is not renewed.
func TestRenewToken(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		svc, mb, clk := newService(t, db)
		ctx := context.Background()
		signup(t, svc, mb, "renew@example.com")
		other := signup(t, svc, mb, "other@example.com")
		res, err := svc.Login(ctx, "renew@example.com", pw, client)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := svc.RenewToken(ctx, res.Session)
		if err != nil {
			t.Fatal(err)
		}
		if fresh == res.SessionToken {
			t.Fatal("the renewed token is the old one")
		}
		if _, err := svc.Authenticate(ctx, res.SessionToken); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Errorf("the old token after the renewal: %v, want unauthenticated", err)
		}
		got, err := svc.Authenticate(ctx, fresh)
		if err != nil || got.ID != res.Session.ID || !got.Privileged(clk.Now()) {
			t.Fatalf("the new token: %+v, %v; want session %s, still privileged", got, err, res.Session.ID)
		}

		// Someone else's user id on the session: nothing changes.
		forged := got
		forged.UserID = other.ID
		if _, err := svc.RenewToken(ctx, forged); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Errorf("renewing with another user's id: %v, want unauthenticated", err)
		}
		if _, err := svc.Authenticate(ctx, fresh); err != nil {
			t.Errorf("the token after a refused renewal: %v", err)
		}

		// Ended: logged out.
		if err := svc.Logout(ctx, got); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RenewToken(ctx, got); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Errorf("renewing a logged-out session: %v, want unauthenticated", err)
		}

		// Expired: past its absolute lifetime.
		res, err = svc.Login(ctx, "renew@example.com", pw, client)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(400 * 24 * time.Hour)
		if _, err := svc.RenewToken(ctx, res.Session); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Errorf("renewing an expired session: %v, want unauthenticated", err)
		}
	})
}
