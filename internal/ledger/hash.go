package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// genesisHash is the predecessor of the first journal entry.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// chain returns the hash of e given its predecessor's: SHA-256 over the
// predecessor's hash and e's content in a fixed, length-prefixed encoding.
// Running balances are part of the content, so editing any of them breaks
// the chain too.
func chain(prev string, e *entry) string {
	h := sha256.New()
	var buf [8]byte
	num := func(v int64) {
		binary.BigEndian.PutUint64(buf[:], uint64(v))
		h.Write(buf[:])
	}
	str := func(s string) {
		num(int64(len(s)))
		h.Write([]byte(s))
	}
	str(prev)
	num(e.id)
	num(e.requestID)
	str(e.kind)
	str(string(e.phase))
	num(e.debit)
	num(e.credit)
	num(e.amount)
	str(e.currency)
	num(e.pendingID)
	num(e.linkedID)
	num(e.expiresAt)
	str(e.metadata)
	num(e.debitAfter)
	num(e.creditAfter)
	num(e.createdAt)
	return hex.EncodeToString(h.Sum(nil))
}
