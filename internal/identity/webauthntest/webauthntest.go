// Package webauthntest is a software passkey for tests: a P-256 key pair
// producing real "none" attestations and real ES256 assertions, so that a
// test drives go-webauthn exactly as a browser and a security key would.
package webauthntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"
)

// Authenticator is one software passkey. It is not safe for concurrent
// use: prepare assertions before starting goroutines.
type Authenticator struct {
	key        *ecdsa.PrivateKey
	credID     []byte
	userHandle []byte
	signCount  uint32
}

// New returns an authenticator with a fresh key and credential id.
func New(t testing.TB) *Authenticator {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &Authenticator{key: k, credID: id}
}

var b64 = base64.RawURLEncoding

// cbor is the little of CBOR (RFC 8949) that attestation needs.
type cborMap [][2]any // ordered key/value pairs

func cborAppend(b []byte, v any) []byte {
	head := func(major byte, n uint64) []byte {
		switch {
		case n < 24:
			return append(b, major<<5|byte(n))
		case n < 1<<8:
			return append(b, major<<5|24, byte(n))
		case n < 1<<16:
			return binary.BigEndian.AppendUint16(append(b, major<<5|25), uint16(n))
		default:
			return binary.BigEndian.AppendUint32(append(b, major<<5|26), uint32(n))
		}
	}
	switch x := v.(type) {
	case int:
		if x >= 0 {
			return head(0, uint64(x))
		}
		return head(1, uint64(-1-x))
	case []byte:
		return append(head(2, uint64(len(x))), x...)
	case string:
		return append(head(3, uint64(len(x))), x...)
	case cborMap:
		b = head(5, uint64(len(x)))
		for _, kv := range x {
			b = cborAppend(b, kv[0])
			b = cborAppend(b, kv[1])
		}
		return b
	}
	panic("cbor: unsupported type")
}

func (a *Authenticator) coseKey() []byte {
	pub, err := a.key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		panic(err)
	}
	return cborAppend(nil, cborMap{{1, 2}, {3, -7}, {-1, 1}, {-2, pub[1:33]}, {-3, pub[33:65]}})
}

func clientData(typ, challenge, origin string) []byte {
	j, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return j
}

// Register answers navigator.credentials.create options.
func (a *Authenticator) Register(t testing.TB, options json.RawMessage, rpID, origin string) map[string]any {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			User      struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		t.Fatal(err)
	}
	var err error
	if a.userHandle, err = b64.DecodeString(o.PublicKey.User.ID); err != nil {
		t.Fatal(err)
	}
	rp := sha256.Sum256([]byte(rpID))
	auth := append(rp[:], 0x45) // UP | UV | AT
	auth = binary.BigEndian.AppendUint32(auth, a.signCount)
	auth = append(auth, make([]byte, 16)...) // AAGUID
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(a.credID)))
	auth = append(auth, a.credID...)
	auth = append(auth, a.coseKey()...)
	att := cborAppend(nil, cborMap{{"fmt", "none"}, {"attStmt", cborMap{}}, {"authData", auth}})
	return map[string]any{
		"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData("webauthn.create", o.PublicKey.Challenge, origin)),
			"attestationObject": b64.EncodeToString(att),
		},
	}
}

// Assert answers navigator.credentials.get options.
func (a *Authenticator) Assert(t testing.TB, options json.RawMessage, rpID, origin string) map[string]any {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		t.Fatal(err)
	}
	a.signCount++
	rp := sha256.Sum256([]byte(rpID))
	auth := append(rp[:], 0x05) // UP | UV
	auth = binary.BigEndian.AppendUint32(auth, a.signCount)
	cd := clientData("webauthn.get", o.PublicKey.Challenge, origin)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte(nil), auth...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(auth),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(a.userHandle),
		},
	}
}
