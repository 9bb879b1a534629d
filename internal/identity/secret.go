package identity

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// Sizes of the random secrets, in bytes.
const (
	sessionTokenBytes = 32 // 256 bits (issue: session tokens)
	resetTokenBytes   = 32 // ≥128 bits required; 256 given
	mfaTokenBytes     = 32
	deviceIDBytes     = 16
	idBytes           = 12
	cancelTokenBytes  = 16
	// tokenCharsMax bounds any token a caller presents before it is hashed.
	tokenCharsMax = 128
)

// randomToken returns n random bytes, base64url without padding.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go ≥1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newID returns a random identifier with a type prefix ("usr_…").
func newID(prefix string) string {
	b := make([]byte, idBytes)
	rand.Read(b)
	return prefix + "_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// hashToken is how every bearer secret is stored: hex SHA-256. A 256-bit
// random token needs no salt or stretching.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newCode returns a uniformly random 6-digit code.
func newCode() string {
	var b [8]byte
	rand.Read(b[:])
	return fmt.Sprintf("%06d", binary.BigEndian.Uint64(b[:])%1_000_000)
}

// codeHash keys a short code (6 digits, recovery code) with the pepper, the
// purpose and its subject, so that a stolen table does not give the codes
// away by brute force without the server secret.
func (s *Service) codeHash(purpose, subject, code string) string {
	m := hmac.New(sha256.New, s.cfg.Pepper)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(subject))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// equalHash compares two hex hashes in constant time.
func equalHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// validToken reports whether t looks like one of our base64url tokens, so
// that junk is refused before it reaches the database.
func validToken(t string) bool {
	if t == "" || len(t) > tokenCharsMax {
		return false
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validCode reports whether c is exactly six ASCII digits.
func validCode(c string) bool {
	if len(c) != 6 {
		return false
	}
	for _, d := range c {
		if d < '0' || d > '9' {
			return false
		}
	}
	return true
}
