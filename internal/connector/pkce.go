package connector

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// NewPKCE returns a fresh PKCE code verifier (43 characters, 256 bits of
// entropy) and its S256 challenge (RFC 7636). Keep the verifier secret and
// server-side until ExchangeCode; send only the challenge.
func NewPKCE() (verifier, challenge string) {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
	verifier = base64.RawURLEncoding.EncodeToString(b[:])
	return verifier, PKCEChallenge(verifier)
}

// PKCEChallenge returns BASE64URL(SHA256(verifier)), the S256 challenge.
func PKCEChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
