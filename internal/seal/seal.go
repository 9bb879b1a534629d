// Package seal is saifu's one way to encrypt small secrets at rest (TOTP
// seeds, bank tokens, merchant webhook secrets, stored API responses)
// with AES-256-GCM under a key from configuration.
//
// What it promises:
//   - Seal output is text, "v1.<base64url(nonce|ciphertext|tag)>", safe for
//     a TEXT column; the version prefix lets a later key or algorithm sit
//     beside this one.
//   - Open refuses anything altered, sealed under another key, or sealed
//     with different associated data: bind each secret to its owner and
//     purpose with aad (for example "totp:" + user id) so that a sealed
//     value copied to another row does not open.
//   - Every Seal draws a fresh random 96-bit nonce; under one key keep well
//     below 2^32 seals (NIST SP 800-38D §8.3).
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

const (
	keyBytes = 32
	prefixV1 = "v1."
	// plainBytesMax bounds what is sealed: secrets are small, and a bound
	// keeps a mistaken caller from sealing a file.
	plainBytesMax = 64 << 10
)

// ErrOpen is returned by Open for anything that does not decrypt: altered,
// truncated, wrong key, wrong associated data, unknown version.
var ErrOpen = errors.New("seal: cannot open sealed value")

var b64 = base64.RawURLEncoding

// Box seals and opens with one key. Safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != keyBytes {
		return nil, fmt.Errorf("seal: key is %d bytes, want %d", len(key), keyBytes)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Box{aead: aead}, nil
}

// KeyFromString decodes a 32-byte key given as hex (64 digits) or base64
// (standard or URL alphabet, padded or not), as it comes from a flag or an
// environment variable.
func KeyFromString(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if k, err := hex.DecodeString(s); err == nil && len(k) == keyBytes {
		return k, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == keyBytes {
			return k, nil
		}
	}
	return nil, errors.New("seal: key must be 32 bytes in hex (64 digits) or base64")
}

// Seal encrypts plain, authenticating aad with it.
func (b *Box) Seal(plain, aad []byte) (string, error) {
	if len(plain) > plainBytesMax {
		return "", fmt.Errorf("seal: %d bytes to seal, at most %d", len(plain), plainBytesMax)
	}
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: nonce: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, plain, aad)
	return prefixV1 + b64.EncodeToString(out), nil
}

// Open decrypts a value from Seal with the same aad, or returns ErrOpen.
func (b *Box) Open(s string, aad []byte) ([]byte, error) {
	body, ok := strings.CutPrefix(s, prefixV1)
	if !ok || len(body) > b64.EncodedLen(plainBytesMax+64) {
		return nil, ErrOpen
	}
	raw, err := b64.DecodeString(body)
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return nil, ErrOpen
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
