package merchant

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/wallet/emvqr"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)} }
func each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	storetest.Each(t, []store.Migrations{audit.Migrations, Migrations}, fn)
}

func TestCreateAndAuthenticate(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		s := New(db, c.now)
		m, key, whsec, err := s.Create(ctx, "Saifu Cafe", "https://cafe.example/hooks")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(m.ID, "mer_") || m.EMVID == "" || m.City != DefaultCity || m.MCC != DefaultMCC || m.LedgerAccountID != 0 {
			t.Fatalf("merchant %+v", m)
		}
		if !strings.HasPrefix(key, "sk_") || len(key) != 3+43 || !strings.HasPrefix(whsec, "whsec_") || len(whsec) != 6+43 {
			t.Fatalf("key %q, webhook secret %q", key, whsec)
		}
		if m.KeyPrefix != key[:9] {
			t.Fatalf("prefix %q", m.KeyPrefix)
		}
		got, err := s.Authenticate(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != m.ID || got.Name != "Saifu Cafe" || got.WebhookURL != "https://cafe.example/hooks" || !got.CreatedAt.Equal(m.CreatedAt) {
			t.Fatalf("Authenticate = %+v, want %+v", got, m)
		}
		// The key is nowhere in the database, only its hash.
		var n int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM merchant_keys WHERE key_hash = '` + key + `' OR prefix = '` + key + `'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("key stored in clear: %d %v", n, err)
		}
		if sec, err := s.WebhookSecret(ctx, m.ID); err != nil || string(sec) != whsec {
			t.Fatalf("WebhookSecret = %q, %v", sec, err)
		}
	})
}

func TestAuthenticateRejects(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db, newClock().now)
		_, key, _, err := s.Create(ctx, "Shop", "")
		if err != nil {
			t.Fatal(err)
		}
		other := randomSecret(secretKeyPrefix)
		tests := []struct{ name, key string }{
			{"empty", ""},
			{"unknown key", other},
			{"key with a character changed", key[:len(key)-1] + flip(key[len(key)-1])},
			{"missing prefix", strings.TrimPrefix(key, "sk_")},
			{"webhook secret instead", "whsec_" + key[3:]},
			{"truncated", key[:20]},
			{"padded", key + "=="},
			{"very long", key + strings.Repeat("A", 1000)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := s.Authenticate(ctx, tt.key); apperr.CodeOf(err) != apperr.Unauthenticated {
					t.Fatalf("Authenticate = %v, want unauthenticated", err)
				}
			})
		}
	})
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestRotate(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		s := New(db, c.now)
		m, old, _, err := s.Create(ctx, "Shop", "")
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := s.Rotate(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fresh == old {
			t.Fatal("rotation returned the old key")
		}
		if _, err := s.Authenticate(ctx, old); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Fatalf("old key after rotation: %v", err)
		}
		got, err := s.Authenticate(ctx, fresh)
		if err != nil || got.ID != m.ID || got.KeyPrefix != fresh[:9] {
			t.Fatalf("new key: %+v %v", got, err)
		}
		if g, _ := s.Get(ctx, m.ID); g.KeyPrefix != fresh[:9] {
			t.Fatalf("Get shows prefix %q, want the new key's", g.KeyPrefix)
		}
		if _, err := s.Rotate(ctx, "mer_nosuch"); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("Rotate unknown: %v", err)
		}
	})
}

func TestRotateWithGrace(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		s := New(db, c.now, WithRotateGrace(time.Hour))
		m, k1, _, err := s.Create(ctx, "Shop", "")
		if err != nil {
			t.Fatal(err)
		}
		k2, err := s.Rotate(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		c.add(30 * time.Minute)
		k3, err := s.Rotate(ctx, m.ID) // k1 keeps its earlier end, k2 ends at +90 min
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			after      time.Duration
			k1, k2, k3 bool
		}{
			{0, true, true, true},
			{29 * time.Minute, true, true, true},
			{time.Minute, false, true, true}, // +60 min: k1's grace is over
			{30 * time.Minute, false, false, true},
		}
		for i, st := range steps {
			c.add(st.after)
			for j, want := range []bool{st.k1, st.k2, st.k3} {
				_, err := s.Authenticate(ctx, []string{k1, k2, k3}[j])
				if got := err == nil; got != want {
					t.Errorf("step %d key %d: works=%v want %v (%v)", i, j+1, got, want, err)
				}
			}
		}
	})
}

func TestGetAndLedgerAccount(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db, newClock().now)
		m, _, _, err := s.Create(ctx, "サイフ商店", "http://127.0.0.1:9999/hook", WithNameEN("SAIFU SHOTEN"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "mer_nosuch"); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("Get unknown: %v", err)
		}
		if _, err := s.GetByEMVID(ctx, m.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("GetByEMVID with the internal id: %v", err)
		}
		byEMV, err := s.GetByEMVID(ctx, m.EMVID)
		if err != nil || byEMV.ID != m.ID {
			t.Fatalf("GetByEMVID = %+v, %v", byEMV, err)
		}
		if err := s.SetLedgerAccount(ctx, m.ID, 42); err != nil {
			t.Fatal(err)
		}
		if err := s.SetLedgerAccount(ctx, m.ID, 42); err != nil {
			t.Fatalf("same account again: %v", err)
		}
		if err := s.SetLedgerAccount(ctx, m.ID, 43); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("other account: %v", err)
		}
		if err := s.SetLedgerAccount(ctx, "mer_nosuch", 1); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("unknown merchant: %v", err)
		}
		if err := s.SetLedgerAccount(ctx, m.ID, 0); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("zero account: %v", err)
		}
		got, err := s.Get(ctx, m.ID)
		if err != nil || got.LedgerAccountID != 42 || got.Name != "サイフ商店" {
			t.Fatalf("Get = %+v, %v", got, err)
		}
	})
}

func TestCreateRejects(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		s := New(db, newClock().now)
		tests := []struct{ name, merchant, url string }{
			{"empty name", "", ""},
			{"name with spaces around", " Shop ", ""},
			{"name too long", strings.Repeat("a", 101), ""},
			{"name with control character", "Sh\x00op", ""},
			{"http to a remote host", "Shop", "http://shop.example/hook"},
			{"relative URL", "Shop", "/hook"},
			{"ftp", "Shop", "ftp://shop.example/hook"},
			{"credentials in URL", "Shop", "https://u:p@shop.example/hook"},
			{"URL too long", "Shop", "https://shop.example/" + strings.Repeat("a", 2100)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, _, _, err := s.Create(context.Background(), tt.merchant, tt.url); apperr.CodeOf(err) != apperr.Invalid {
					t.Fatalf("Create = %v, want invalid_request", err)
				}
			})
		}
	})
}

func TestWebhookSecretSealed(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		key := []byte("0123456789abcdef0123456789abcdef")
		s := New(db, newClock().now, WithSealKey(key))
		m, _, whsec, err := s.Create(ctx, "Shop", "https://shop.example/hook")
		if err != nil {
			t.Fatal(err)
		}
		var stored string
		if err := db.R.QueryRow(db.Rebind(`SELECT webhook_secret FROM merchants WHERE id = ?`), m.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stored, "v1.") || strings.Contains(stored, whsec[6:]) {
			t.Fatalf("stored %q is not sealed", stored)
		}
		if got, err := s.WebhookSecret(ctx, m.ID); err != nil || string(got) != whsec {
			t.Fatalf("WebhookSecret = %q, %v", got, err)
		}
		wrong := New(db, time.Now, WithSealKey([]byte("another key of thirty-two bytes!")))
		if _, err := wrong.WebhookSecret(ctx, m.ID); err == nil {
			t.Fatal("opened with the wrong seal key")
		}
		if _, err := New(db, time.Now).WebhookSecret(ctx, m.ID); err == nil {
			t.Fatal("opened a sealed secret without the key")
		}
		// A sealed secret moved to another merchant's row does not open.
		m2, _, _, err := s.Create(ctx, "Other", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.Exec(db.Rebind(`UPDATE merchants SET webhook_secret = ? WHERE id = ?`), stored, m2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WebhookSecret(ctx, m2.ID); err == nil {
			t.Fatal("a secret sealed for one merchant opened for another")
		}
	})
}

func TestStaticPayload(t *testing.T) {
	tests := []struct {
		name             string
		m                Merchant
		wantName, wantJA string
	}{
		{"ASCII name", Merchant{EMVID: "mabc", Name: "Saifu Cafe", City: "TOKYO", MCC: "5814"}, "Saifu Cafe", ""},
		{"long ASCII name cut to 25", Merchant{EMVID: "mabc", Name: "The Very Long Saifu Coffee Roasters", City: "TOKYO", MCC: "5814"}, "The Very Long Saifu Coffe", ""},
		{"Japanese name with its English name", Merchant{EMVID: "mabc", Name: "山田商店", NameEN: "YAMADA SHOTEN", City: "TOKYO", MCC: "5999"}, "YAMADA SHOTEN", "山田商店"},
		{"kana name stored before NameEN: romanised", Merchant{EMVID: "mabc", Name: "やまだストア", City: "TOKYO", MCC: "5999"}, "YAMADASUTOA", "やまだストア"},
		{"kanji name stored before NameEN: the generic name", Merchant{EMVID: "mabc", Name: "サイフ商店", City: "TOKYO", MCC: "5999"}, "SAIFU MERCHANT", "サイフ商店"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := StaticPayload(tt.m)
			if err != nil {
				t.Fatal(err)
			}
			p, err := emvqr.Parse(s)
			if err != nil {
				t.Fatal(err)
			}
			if p.MerchantID != tt.m.EMVID || p.Name != tt.wantName || p.NameJA != tt.wantJA || p.Dynamic() {
				t.Fatalf("payload %+v", p)
			}
		})
	}
}

// Concurrent rotations leave exactly one current key, and it works.
func TestRotateConcurrently(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db, newClock().now)
		m, _, _, err := s.Create(ctx, "Shop", "")
		if err != nil {
			t.Fatal(err)
		}
		const n = 8
		keys := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				k, err := s.Rotate(ctx, m.ID)
				if err != nil {
					t.Error(err)
				}
				keys[i] = k
			})
		}
		wg.Wait()
		working := 0
		for _, k := range keys {
			if _, err := s.Authenticate(ctx, k); err == nil {
				working++
			}
		}
		if working != 1 {
			t.Fatalf("%d keys work after %d concurrent rotations, want 1", working, n)
		}
	})
}

// TestCreateQRName: every new merchant gets a name of its own in the QR
// code's ASCII field (EMV tag 59), so that wallets that ignore the Japanese
// field (tag 64) tell shops apart.
func TestCreateQRName(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db, newClock().now)
		tests := []struct {
			name       string
			merchant   string
			opts       []CreateOption
			wantNameEN string
			wantErr    bool
		}{
			{name: "ASCII name", merchant: "Saifu Cafe", wantNameEN: "Saifu Cafe"},
			{name: "long ASCII name is cut", merchant: "The Very Long Saifu Coffee Roasters", wantNameEN: "The Very Long Saifu Coffe"},
			{name: "kana name is romanised", merchant: "カフェ・サイフ", wantNameEN: "KAFE SAIFU"},
			{name: "kanji with an English name", merchant: "山田商店", opts: []CreateOption{WithNameEN("YAMADA SHOTEN")}, wantNameEN: "YAMADA SHOTEN"},
			{name: "English name wins over romanisation", merchant: "やまだ", opts: []CreateOption{WithNameEN("Yamada")}, wantNameEN: "Yamada"},
			{name: "kanji without an English name", merchant: "山田商店", wantErr: true},
			{name: "English name not ASCII", merchant: "山田商店", opts: []CreateOption{WithNameEN("ＹＡＭＡＤＡ")}, wantErr: true},
			{name: "English name over 25 characters", merchant: "山田商店", opts: []CreateOption{WithNameEN("YAMADA SHOTEN OF SETAGAYA TOKYO")}, wantErr: true},
			{name: "English name with surrounding spaces", merchant: "山田商店", opts: []CreateOption{WithNameEN(" YAMADA")}, wantErr: true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := count(t, db)
				m, _, _, err := s.Create(ctx, tt.merchant, "", tt.opts...)
				if tt.wantErr {
					if n := count(t, db); n != before {
						t.Errorf("a refused Create left %d merchants, had %d", n, before)
					}
					if apperr.CodeOf(err) != apperr.Invalid {
						t.Fatalf("Create = %+v, %v; want invalid_request", m, err)
					}
					if e, _ := apperr.As(err); e.MessageJA == "" {
						t.Errorf("no Japanese message: %v", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Get(ctx, m.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.NameEN != tt.wantNameEN || m.NameEN != tt.wantNameEN {
					t.Errorf("NameEN = %q (stored %q), want %q", m.NameEN, got.NameEN, tt.wantNameEN)
				}
				payload, err := StaticPayload(got)
				if err != nil {
					t.Fatal(err)
				}
				p, err := emvqr.Parse(payload)
				if err != nil {
					t.Fatal(err)
				}
				if p.Name != tt.wantNameEN {
					t.Errorf("tag 59 = %q, want %q", p.Name, tt.wantNameEN)
				}
			})
		}
	})
}

func count(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Read(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT COUNT(*) FROM merchants`).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}
