package merchant

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// TestSetWebhook: a new URL and a new secret, sealed, shown once; the old
// secret is gone from the merchant; the change is audited with who and
// where from, without the secret or the URL's path.
func TestSetWebhook(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db, newClock().now, WithSealKey([]byte("0123456789abcdef0123456789abcdef")))
		m, _, oldSecret, err := s.Create(ctx, "Shop", "https://old.example/hooks")
		if err != nil {
			t.Fatal(err)
		}
		secret, err := s.SetWebhook(ctx, m.ID, "https://new.example/v2/hooks?token=t0p", Caller{IP: "203.0.113.9", UserAgent: "shop-server/1"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, "whsec_") || len(secret) != 6+43 || secret == oldSecret {
			t.Fatalf("new secret %q (old %q)", secret, oldSecret)
		}
		url, got, err := s.WebhookEndpoint(ctx, m.ID)
		if err != nil || url != "https://new.example/v2/hooks?token=t0p" || string(got) != secret {
			t.Fatalf("WebhookEndpoint = %q, %q, %v", url, got, err)
		}
		if got, _ := s.WebhookSecret(ctx, m.ID); string(got) != secret {
			t.Fatalf("WebhookSecret = %q, want the new one", got)
		}
		var stored string
		if err := db.R.QueryRow(db.Rebind(`SELECT webhook_secret FROM merchants WHERE id = ?`), m.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stored, "v1.") || strings.Contains(stored, secret[6:]) {
			t.Fatalf("stored %q is not sealed", stored)
		}
		entries, err := audit.ByTarget(ctx, db, "merchant:"+m.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		type entry struct{ Actor, Action, IP, UserAgent, Details string }
		var gotEntries []entry
		for _, e := range entries {
			gotEntries = append(gotEntries, entry{e.Actor, e.Action, e.IP, e.UserAgent, e.Details})
			for _, leak := range []string{secret, oldSecret, "t0p", "/v2/hooks"} {
				if strings.Contains(e.Details, leak) {
					t.Fatalf("entry %s carries %q: %q", e.Action, leak, e.Details)
				}
			}
		}
		want := []entry{
			{"merchant:" + m.ID, "merchant.webhook_changed", "203.0.113.9", "shop-server/1", "endpoint https://new.example (was https://old.example), new signing secret"},
			{"system", "merchant.created", "", "", entries[len(entries)-1].Details},
		}
		if diff := cmp.Diff(gotEntries, want); diff != "" {
			t.Fatalf("audit (-got +want):\n%s", diff)
		}
	})
}

// TestSetWebhookRejects: the URL is checked as at Create, and is
// required; a refusal changes nothing and audits nothing.
func TestSetWebhookRejects(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db, newClock().now)
		m, _, secret, err := s.Create(ctx, "Shop", "https://shop.example/hook")
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, merchantID, url string
			wantCode              apperr.Code
		}{
			{"empty", m.ID, "", apperr.Invalid},
			{"http to a remote host", m.ID, "http://shop.example/hook", apperr.Invalid},
			{"relative URL", m.ID, "/hook", apperr.Invalid},
			{"ftp", m.ID, "ftp://shop.example/hook", apperr.Invalid},
			{"credentials in URL", m.ID, "https://u:p@shop.example/hook", apperr.Invalid},
			{"fragment", m.ID, "https://shop.example/hook#x", apperr.Invalid},
			{"URL too long", m.ID, "https://shop.example/" + strings.Repeat("a", 2100), apperr.Invalid},
			{"unknown merchant", "mer_nosuch", "https://shop.example/new", apperr.NotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := s.SetWebhook(ctx, tt.merchantID, tt.url, Caller{}); apperr.CodeOf(err) != tt.wantCode {
					t.Fatalf("SetWebhook = %v, want %s", err, tt.wantCode)
				}
			})
		}
		url, got, err := s.WebhookEndpoint(ctx, m.ID)
		if err != nil || url != "https://shop.example/hook" || string(got) != secret {
			t.Fatalf("after refusals: %q, %q, %v", url, got, err)
		}
		if entries, _ := audit.ByTarget(ctx, db, "merchant:"+m.ID, 10); len(entries) != 1 {
			t.Fatalf("%d audit entries, want only merchant.created", len(entries))
		}
	})
}
