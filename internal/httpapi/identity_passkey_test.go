package httpapi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/identity"
)

// softAuthenticator is a software passkey: a P-256 key pair producing real
// "none" attestations and real ES256 assertions, so that the test drives
// go-webauthn exactly as a browser and a security key would.
type softAuthenticator struct {
	key        *ecdsa.PrivateKey
	credID     []byte
	userHandle []byte
	signCount  uint32
}

func newSoftAuthenticator(t testing.TB) *softAuthenticator {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &softAuthenticator{key: k, credID: id}
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

func (a *softAuthenticator) coseKey() []byte {
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

// register answers navigator.credentials.create options.
func (a *softAuthenticator) register(t testing.TB, options json.RawMessage, rpID, origin string) map[string]any {
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

// assert answers navigator.credentials.get options.
func (a *softAuthenticator) assert(t testing.TB, options json.RawMessage, rpID, origin string) map[string]any {
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

func ceremony(t testing.TB, r resp) (string, json.RawMessage) {
	t.Helper()
	var body struct {
		CeremonyID string          `json:"ceremony_id"`
		Options    json.RawMessage `json:"options"`
	}
	if err := json.Unmarshal([]byte(r.raw), &body); err != nil || body.CeremonyID == "" {
		t.Fatalf("ceremony: %v %s", err, r.raw)
	}
	return body.CeremonyID, body.Options
}

// TestPasskeys registers two passkeys and logs in with them
// (discoverable), and shows that an assertion made for another origin —
// a phishing page — or another RP ID, or a replayed ceremony fails.
func TestPasskeys(t *testing.T) {
	const origin, rpID = "http://localhost", "localhost"
	eachIDEnv(t, identity.Limits{}, func(t *testing.T, e *idEnv) {
		a := e.agent("phone", "198.51.100.20")
		a.signup("kei@example.com", pwAlice)
		keys := []*softAuthenticator{newSoftAuthenticator(t), newSoftAuthenticator(t)}
		for _, k := range keys {
			cid, opts := ceremony(t, a.do("POST", "/api/v1/passkeys/begin", nil).want(t, 200))
			a.do("POST", "/api/v1/passkeys/finish", map[string]any{"ceremony_id": cid, "credential": k.register(t, opts, rpID, origin)}).want(t, 200)
		}
		e.mail.wait(t, "kei@example.com", "factor was added", 2)
		// Registration from a foreign origin fails.
		evil := newSoftAuthenticator(t)
		cid, opts := ceremony(t, a.do("POST", "/api/v1/passkeys/begin", nil).want(t, 200))
		a.do("POST", "/api/v1/passkeys/finish", map[string]any{"ceremony_id": cid, "credential": evil.register(t, opts, rpID, "https://saifu-login.example")}).want(t, 401)

		me := a.do("GET", "/api/v1/me", nil).want(t, 200)
		if mfa, _ := me.body["mfa"].(map[string]any); mfa["passkeys"] != float64(2) {
			t.Fatalf("me.mfa = %v", me.body["mfa"])
		}

		b := e.agent("laptop", "198.51.100.21")
		for _, k := range keys {
			cid, opts := ceremony(t, b.do("POST", "/api/v1/login/passkey/begin", nil).want(t, 200))
			r := b.do("POST", "/api/v1/login/passkey/finish", map[string]any{"ceremony_id": cid, "credential": k.assert(t, opts, rpID, origin)}).want(t, 200)
			b.token = r.str("session_token")
			b.do("GET", "/api/v1/me", nil).want(t, 200)
		}

		tests := []struct {
			name          string
			rpID, origin  string
			reuseCeremony bool
		}{
			{"phishing origin", rpID, "https://saifu-login.example", false},
			{"lookalike origin on another port", rpID, "http://localhost:8443", false},
			{"another relying party", "saifu-login.example", origin, false},
			{"replayed ceremony", rpID, origin, true},
		}
		var usedID string
		{
			cid, opts := ceremony(t, b.do("POST", "/api/v1/login/passkey/begin", nil).want(t, 200))
			b.do("POST", "/api/v1/login/passkey/finish", map[string]any{"ceremony_id": cid, "credential": keys[0].assert(t, opts, rpID, origin)}).want(t, 200)
			usedID = cid
			_ = opts
		}
		for _, tt := range tests {
			cid, opts := ceremony(t, b.do("POST", "/api/v1/login/passkey/begin", nil).want(t, 200))
			if tt.reuseCeremony {
				cid = usedID
			}
			r := b.do("POST", "/api/v1/login/passkey/finish", map[string]any{"ceremony_id": cid, "credential": keys[0].assert(t, opts, tt.rpID, tt.origin)})
			if r.status != 401 || r.code() != "invalid_credentials" {
				t.Errorf("%s: got %d %s, want 401 invalid_credentials", tt.name, r.status, r.raw)
			}
		}

		// Step-up with a passkey after privilege lapsed.
		e.clock.Advance(6 * time.Minute)
		b.do("POST", "/api/v1/mfa/totp", nil).want(t, 403, "reauth_required")
		rcid, ropts := ceremony(t, b.do("POST", "/api/v1/reauth/passkey/begin", nil).want(t, 200))
		b.do("POST", "/api/v1/reauth", map[string]any{"ceremony_id": rcid, "credential": keys[1].assert(t, ropts, rpID, "https://saifu-login.example")}).want(t, 401)
		rcid, ropts = ceremony(t, b.do("POST", "/api/v1/reauth/passkey/begin", nil).want(t, 200))
		b.do("POST", "/api/v1/reauth", map[string]any{"ceremony_id": rcid, "credential": keys[1].assert(t, ropts, rpID, origin)}).want(t, 200)
		b.do("POST", "/api/v1/mfa/totp", nil).want(t, 200)
		// With a passkey registered, a password alone is no step-up.
		a.do("POST", "/api/v1/reauth", map[string]string{"password": pwAlice}).want(t, 401, "mfa_required")
		rcid, ropts = ceremony(t, a.do("POST", "/api/v1/reauth/passkey/begin", nil).want(t, 200))
		a.do("POST", "/api/v1/reauth", map[string]any{"ceremony_id": rcid, "credential": keys[0].assert(t, ropts, rpID, origin)}).want(t, 200)

		// Removing a passkey needs a privileged session and notifies.
		list := a.do("GET", "/api/v1/passkeys", nil).want(t, 200)
		pid := list.body["items"].([]any)[0].(map[string]any)["id"].(string)
		other := e.agent("other", "198.51.100.22")
		other.do("DELETE", "/api/v1/passkeys/"+pid, nil).want(t, 401, "unauthenticated")
		other.signup("mallory@example.com", pwAlice)
		other.do("DELETE", "/api/v1/passkeys/"+pid, nil).want(t, 404, "not_found")
		a.do("DELETE", "/api/v1/passkeys/"+pid, nil).want(t, 204)
		e.mail.wait(t, "kei@example.com", "factor was removed", 1)
	})
}
