package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// link returns the hash of e given its predecessor's: SHA-256 over the
// predecessor's hash and e's canonical form — every field in a fixed order,
// numbers as 8 big-endian bytes, strings length-prefixed — so that no two
// different entries (or orders of entries) encode alike.
func link(prev string, e *Entry) string {
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
	num(e.Seq)
	num(e.At.UnixMilli())
	str(e.Actor)
	str(e.Action)
	str(e.Target)
	str(e.IP)
	str(e.UserAgent)
	str(e.Details)
	return hex.EncodeToString(h.Sum(nil))
}
