// Package ids makes the random identifiers of saifu's records: a prefix
// naming the kind ("dec_", "apr_") and 128 random bits, so that an id
// reveals no count, no time and nothing to guess. (identity, wallet,
// funding, merchant and ops still have copies of their own to move here.)
package ids

import (
	"crypto/rand"
	"encoding/hex"
)

// New returns prefix followed by 128 random bits in hex.
func New(prefix string) string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
	return prefix + hex.EncodeToString(b[:])
}
