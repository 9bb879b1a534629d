package redteam

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// passkey is a software authenticator, the red team's own: an ECDSA
// P-256 key answering navigator.credentials.create with an attestation
// of format "none" and navigator.credentials.get with ES256 assertions
// (WebAuthn Level 2 §6.1, §6.5.4), for whatever origin and RP ID it is
// told — which is how the phishing scenario makes an assertion that a
// browser at another site would make.
type passkey struct {
	key        *ecdsa.PrivateKey
	credID     []byte
	userHandle []byte
	signCount  uint32
}

var b64url = base64.RawURLEncoding

// newPasskey is an authenticator with a fresh key and credential id.
func newPasskey() (*passkey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &passkey{key: k, credID: id}, nil
}

// Authenticator-data flags (WebAuthn §6.1).
const (
	flagUserPresent  = 0x01
	flagUserVerified = 0x04
	flagAttested     = 0x40 // attested credential data follows
)

// coseKey is an EC2 public key in COSE (RFC 9053 §7.1.1): kty 2, alg
// ES256 (-7), crv P-256 (1).
type coseKey struct {
	Kty int    `cbor:"1,keyasint"`
	Alg int    `cbor:"3,keyasint"`
	Crv int    `cbor:"-1,keyasint"`
	X   []byte `cbor:"-2,keyasint"`
	Y   []byte `cbor:"-3,keyasint"`
}

type attestationObject struct {
	Fmt      string         `cbor:"fmt"`
	AttStmt  map[string]any `cbor:"attStmt"`
	AuthData []byte         `cbor:"authData"`
}

// ceremonyOptions is what the wallet's begin calls answer: the options
// for navigator.credentials.create or .get.
type ceremonyOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

func parseOptions(raw json.RawMessage) (ceremonyOptions, error) {
	var o ceremonyOptions
	if err := json.Unmarshal(raw, &o); err != nil || o.PublicKey.Challenge == "" {
		return o, fmt.Errorf("passkey options without a challenge (%v): %.200s", err, raw)
	}
	return o, nil
}

func clientDataJSON(typ, challenge, origin string) []byte {
	j, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return j
}

// register answers creation options as an authenticator at origin for
// rpID would.
func (p *passkey) register(options json.RawMessage, rpID, origin string) (map[string]any, error) {
	o, err := parseOptions(options)
	if err != nil {
		return nil, err
	}
	if p.userHandle, err = b64url.DecodeString(o.PublicKey.User.ID); err != nil {
		return nil, fmt.Errorf("passkey options: user id: %w", err)
	}
	pub, err := p.key.PublicKey.Bytes() // uncompressed: 0x04 || X || Y
	if err != nil {
		return nil, err
	}
	xy := pub[1:]
	key, err := cbor.Marshal(coseKey{Kty: 2, Alg: -7, Crv: 1, X: xy[:32], Y: xy[32:]})
	if err != nil {
		return nil, err
	}
	rp := sha256.Sum256([]byte(rpID))
	auth := append(rp[:], flagUserPresent|flagUserVerified|flagAttested)
	auth = binary.BigEndian.AppendUint32(auth, p.signCount)
	auth = append(auth, make([]byte, 16)...) // AAGUID: none
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(p.credID)))
	auth = append(auth, p.credID...)
	auth = append(auth, key...)
	att, err := cbor.Marshal(attestationObject{Fmt: "none", AttStmt: map[string]any{}, AuthData: auth})
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"id": b64url.EncodeToString(p.credID), "rawId": b64url.EncodeToString(p.credID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64url.EncodeToString(clientDataJSON("webauthn.create", o.PublicKey.Challenge, origin)),
			"attestationObject": b64url.EncodeToString(att),
		},
	}, nil
}

// assert answers request options as the authenticator at origin for rpID
// would: rpID's hash in the authenticator data, origin in the client
// data, both signed.
func (p *passkey) assert(options json.RawMessage, rpID, origin string) (map[string]any, error) {
	o, err := parseOptions(options)
	if err != nil {
		return nil, err
	}
	p.signCount++
	rp := sha256.Sum256([]byte(rpID))
	auth := append(rp[:], flagUserPresent|flagUserVerified)
	auth = binary.BigEndian.AppendUint32(auth, p.signCount)
	cd := clientDataJSON("webauthn.get", o.PublicKey.Challenge, origin)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte(nil), auth...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, p.key, digest[:])
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"id": b64url.EncodeToString(p.credID), "rawId": b64url.EncodeToString(p.credID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64url.EncodeToString(cd),
			"authenticatorData": b64url.EncodeToString(auth),
			"signature":         b64url.EncodeToString(sig),
			"userHandle":        b64url.EncodeToString(p.userHandle),
		},
	}, nil
}

// passkeyOrigin is the origin a browser shows the wallet's pages at, as
// far as the red team can tell from the outside: the target's own when
// its host is rpID or under it; else (a demo reached at 127.0.0.1, whose
// RP ID is localhost) the target's scheme and port at rpID.
func passkeyOrigin(target *url.URL, rpID string) string {
	host := target.Hostname()
	if host == rpID || strings.HasSuffix(host, "."+rpID) {
		return target.Scheme + "://" + target.Host
	}
	if port := target.Port(); port != "" {
		return target.Scheme + "://" + net.JoinHostPort(rpID, port)
	}
	return target.Scheme + "://" + rpID
}
