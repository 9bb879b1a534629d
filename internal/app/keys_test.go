package app

import (
	"encoding/hex"
	"os"
	"regexp"
	"slices"
	"testing"
)

// TestKeyLabelsNeverChange: every key saifu uses is derived from the
// server secret under a label, and data at rest (password hashes, sealed
// TOTP seeds, bank tokens, webhook secrets) depends on the exact label. A
// rename (a module path change once rewrote them all) would lock every
// user out; this test pins the labels and what they derive.
func TestKeyLabelsNeverChange(t *testing.T) {
	want := []string{"saifu/password/pepper", "saifu/identity/pepper", "saifu/identity/seal",
		"saifu/funding/seal", "saifu/merchant/seal", "saifu/notify/webhooks", "saifu/httpapi/idempotency/seal", "saifu/ops/seal", "saifu/web/csrf"}
	b, err := os.ReadFile("keys.go")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	re := regexp.MustCompile(`"(saifu/[a-z]+(?:/[a-z]+)+)"`)
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		found = append(found, m[1])
	}
	for _, label := range want {
		if !slices.Contains(found, label) {
			t.Errorf("label %q is no longer used: keys derived under it (and the data they protect) are lost", label)
		}
	}
	// derive itself must not change either (HMAC-SHA256(secret, label)).
	secret := []byte("0123456789abcdef0123456789abcdef")
	if got := hex.EncodeToString(derive(secret, "saifu/password/pepper"))[:16]; got != "ad4a3adb39b0612c" {
		t.Fatalf("derive changed: %s…", got)
	}
	// And each purpose gets its own key, under its own label.
	k := deriveKeys(secret)
	all := [][]byte{k.passwordPepper, k.identityPepper, k.identitySeal, k.fundingSeal, k.merchantSeal, k.webhooksSeal, k.idemSeal, k.opsSeal, k.webCSRF}
	for i, label := range want {
		if hex.EncodeToString(all[i]) != hex.EncodeToString(derive(secret, label)) {
			t.Errorf("key %d is not derived under %q", i, label)
		}
	}
}
