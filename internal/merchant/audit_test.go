package merchant

import (
	"context"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// TestKeysAreAudited: creating a merchant and rotating its key are in the
// audit log, and no entry carries a whole secret.
func TestKeysAreAudited(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db, newClock().now)
		m, key, whsec, err := s.Create(ctx, "Saifu Cafe", "")
		if err != nil {
			t.Fatal(err)
		}
		newKey, err := s.Rotate(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := audit.ByTarget(ctx, db, "merchant:"+m.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
			for _, secret := range []string{key, whsec, newKey} {
				if strings.Contains(e.Details, secret) {
					t.Fatalf("entry %s carries a secret: %q", e.Action, e.Details)
				}
			}
		}
		if got := strings.Join(actions, " "); got != "merchant.key_rotated merchant.created" {
			t.Fatalf("audit actions = %q", got)
		}
	})
}
