package merchant

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

const (
	secretKeyPrefix     = "sk_"
	webhookSecretPrefix = "whsec_"
	secretBytes         = 32 // 256 bits for keys and webhook secrets
	// keyCharsMax bounds what Authenticate reads before hashing.
	keyCharsMax = 128
	// displayChars is how much of a key is kept for display: "sk_" and 6
	// characters (36 bits of the 256).
	displayChars = len(secretKeyPrefix) + 6
	idBytes      = 10 // 80 bits: ids are not secrets, only unique
)

func randomSecret(prefix string) string {
	b := make([]byte, secretBytes)
	rand.Read(b) // never fails (crypto/rand, Go ≥ 1.24)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// newID returns prefix + 16 lowercase base32 characters.
func newID(prefix string) string {
	b := make([]byte, idBytes)
	rand.Read(b)
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// wellFormedKey reports whether key looks like a secret key at all, so that
// garbage is refused before any lookup.
func wellFormedKey(key string) bool {
	if len(key) > keyCharsMax || !strings.HasPrefix(key, secretKeyPrefix) {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(key[len(secretKeyPrefix):])
	return err == nil && len(b) == secretBytes
}

// Stored forms of a webhook secret: seal's ("v1.…", bound to the merchant
// id). Rows written before saifu had one sealing package may hold
// "gcm1:<base64 nonce|ciphertext|tag>" (the same AES-256-GCM under the
// same key and additional data, in standard base64) or, from a server run
// without a seal key, "plain:<secret>"; both are read, never written.
const legacySealedPrefix, legacyPlainPrefix = "gcm1:", "plain:"

// sealSecret returns the stored form of a webhook secret.
func (s *Service) sealSecret(merchantID, secret string) (string, error) {
	sealed, err := s.seal.Seal([]byte(secret), []byte(merchantID))
	if err != nil {
		return "", fmt.Errorf("merchant: seal webhook secret: %w", err)
	}
	return sealed, nil
}

// openSecret reverses sealSecret.
func (s *Service) openSecret(merchantID, stored string) (string, error) {
	if v, ok := strings.CutPrefix(stored, legacyPlainPrefix); ok {
		return v, nil
	}
	if v, ok := strings.CutPrefix(stored, legacySealedPrefix); ok {
		raw, err := base64.RawStdEncoding.DecodeString(v)
		if err != nil {
			return "", errors.New("merchant: corrupt sealed webhook secret")
		}
		stored = "v1." + base64.RawURLEncoding.EncodeToString(raw)
	}
	pt, err := s.seal.Open(stored, []byte(merchantID))
	if err != nil {
		return "", fmt.Errorf("merchant: open webhook secret (wrong seal key?): %w", err)
	}
	return string(pt), nil
}
