package identity_test

import (
	"context"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestRenamePasskey: a user names their passkey and the list shows the
// name; a name that does not fit, or another user's passkey, is refused
// and changes nothing.
func TestRenamePasskey(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, mb, _ := newService(t, db)
		login := func(email string) identity.Session {
			t.Helper()
			signup(t, svc, mb, email)
			res, err := svc.Login(ctx, email, pw, client)
			if err != nil {
				t.Fatal(err)
			}
			sess, err := svc.Authenticate(ctx, res.SessionToken)
			if err != nil {
				t.Fatal(err)
			}
			return sess
		}
		alice, bob := login("alice@example.com"), login("bob@example.com")
		passkeyOf(t, svc, alice)
		list, err := svc.Passkeys(ctx, alice.UserID)
		if err != nil || len(list) != 1 || list[0].Name != "" {
			t.Fatalf("passkeys before naming = %+v, %v", list, err)
		}
		id := list[0].ID
		if err := svc.RenamePasskey(ctx, alice, id, "  iPhone 15  "); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name     string
			sess     identity.Session
			id, to   string
			wantCode apperr.Code
		}{
			{"empty", alice, id, "   ", apperr.Invalid},
			{"too long", alice, id, strings.Repeat("あ", 33), apperr.Invalid},
			{"two lines", alice, id, "a\nb", apperr.Invalid},
			{"a link", alice, id, "https://evil.example", apperr.Invalid},
			{"another user's passkey", bob, id, "mine now", apperr.NotFound},
			{"no such passkey", alice, "nope", "x", apperr.NotFound},
		}
		for _, tt := range tests {
			if err := svc.RenamePasskey(ctx, tt.sess, tt.id, tt.to); apperr.CodeOf(err) != tt.wantCode {
				t.Errorf("%s: err = %v, want %s", tt.name, err, tt.wantCode)
			}
		}
		list, err = svc.Passkeys(ctx, alice.UserID)
		if err != nil || len(list) != 1 || list[0].Name != "iPhone 15" {
			t.Errorf("passkeys after = %+v, %v; want one named \"iPhone 15\"", list, err)
		}
	})
}
