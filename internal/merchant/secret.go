package merchant

import (
	"crypto/aes"
	"crypto/cipher"
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

// sealer encrypts webhook secrets with AES-256-GCM; the merchant id is the
// additional data, so a sealed secret copied to another row does not open.
type sealer struct{ aead cipher.AEAD }

const sealedPrefix, plainPrefix = "gcm1:", "plain:"

func newSealer(key []byte) *sealer {
	if len(key) != 32 {
		panic(fmt.Sprintf("merchant: seal key must be 32 bytes, got %d", len(key)))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &sealer{aead: aead}
}

// sealSecret returns the stored form of a webhook secret.
func (s *Service) sealSecret(merchantID, secret string) string {
	if s.seal == nil {
		return plainPrefix + secret
	}
	nonce := make([]byte, s.seal.aead.NonceSize())
	rand.Read(nonce)
	ct := s.seal.aead.Seal(nonce, nonce, []byte(secret), []byte(merchantID))
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(ct)
}

var errSealed = errors.New("merchant: webhook secret is sealed and no seal key is configured")

// openSecret reverses sealSecret.
func (s *Service) openSecret(merchantID, stored string) (string, error) {
	if v, ok := strings.CutPrefix(stored, plainPrefix); ok {
		return v, nil
	}
	v, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return "", errors.New("merchant: unknown webhook secret format")
	}
	if s.seal == nil {
		return "", errSealed
	}
	ct, err := base64.RawStdEncoding.DecodeString(v)
	if err != nil || len(ct) < s.seal.aead.NonceSize() {
		return "", errors.New("merchant: corrupt sealed webhook secret")
	}
	n := s.seal.aead.NonceSize()
	pt, err := s.seal.aead.Open(nil, ct[:n], ct[n:], []byte(merchantID))
	if err != nil {
		return "", fmt.Errorf("merchant: open webhook secret (wrong seal key?): %w", err)
	}
	return string(pt), nil
}
