package merchant

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"testing"

	"github.com/saifu-pay/saifu/internal/store"
)

// TestLegacyWebhookSecretsStillOpen: rows written by the merchant
// package's own AES-GCM copy ("gcm1:") or by a server without a seal key
// ("plain:") still give their secret after the move to package seal.
func TestLegacyWebhookSecretsStillOpen(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		key := []byte("0123456789abcdef0123456789abcdef")
		s := New(db, newClock().now, WithSealKey(key))
		m1, _, _, err := s.Create(ctx, "Old Shop", "")
		if err != nil {
			t.Fatal(err)
		}
		m2, _, _, err := s.Create(ctx, "Older Shop", "")
		if err != nil {
			t.Fatal(err)
		}
		// The old sealer: nonce|ciphertext|tag in standard base64, the
		// merchant id as additional data.
		block, _ := aes.NewCipher(key)
		aead, _ := cipher.NewGCM(block)
		nonce := make([]byte, aead.NonceSize())
		rand.Read(nonce)
		old := "gcm1:" + base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte("whsec_old"), []byte(m1.ID)))
		for id, stored := range map[string]string{m1.ID: old, m2.ID: "plain:whsec_older"} {
			if _, err := db.W.Exec(db.Rebind(`UPDATE merchants SET webhook_secret = ? WHERE id = ?`), stored, id); err != nil {
				t.Fatal(err)
			}
		}
		for id, want := range map[string]string{m1.ID: "whsec_old", m2.ID: "whsec_older"} {
			if got, err := s.WebhookSecret(ctx, id); err != nil || string(got) != want {
				t.Fatalf("WebhookSecret(%s) = %q, %v; want %q", id, got, err, want)
			}
		}
		// A legacy value sealed for one merchant still does not open for another.
		if _, err := db.W.Exec(db.Rebind(`UPDATE merchants SET webhook_secret = ? WHERE id = ?`), old, m2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WebhookSecret(ctx, m2.ID); err == nil {
			t.Fatal("a legacy secret sealed for one merchant opened for another")
		}
	})
}
