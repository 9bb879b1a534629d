package ops

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Sizes and bounds of operator secrets.
const (
	tokenBytes = 32 // session, bootstrap and invitation tokens: 256 random bits
	idBytes    = 12
	// tokenCharsMax bounds a token a caller presents before it is hashed.
	tokenCharsMax = 128
)

// Prefixes of operator tokens: a leaked one is recognisable for what it
// is (secret scanners), and never mistaken for a user's token.
const (
	sessionTokenPrefix   = "opss_"
	bootstrapTokenPrefix = "opsb_"
	inviteTokenPrefix    = "opsi_"
)

func randomToken(prefix string) string {
	b := make([]byte, tokenBytes)
	rand.Read(b) // never fails (crypto/rand, Go ≥1.24)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func newID(prefix string) string {
	b := make([]byte, idBytes)
	rand.Read(b)
	return prefix + "_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// hashToken is how operator tokens are stored: hex SHA-256 (a 256-bit
// random token needs no salt or stretching). Lookups go by this hash, so
// no comparison of the secret itself depends on its content.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// validToken reports whether t has prefix and looks like one of our
// tokens, so that junk is refused before it reaches the database.
func validToken(t, prefix string) bool {
	if len(t) > tokenCharsMax || !strings.HasPrefix(t, prefix) || len(t) == len(prefix) {
		return false
	}
	for _, c := range t[len(prefix):] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func totpAAD(operatorID string) []byte { return []byte("ops/totp/" + operatorID) }
