package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignKnownVector(t *testing.T) {
	secret := []byte("whsec_test")
	body := []byte(`{"type":"charge.succeeded"}`)
	at := time.Unix(1700000000, 0)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("1700000000." + string(body)))
	want := "t=1700000000,v1=" + hex.EncodeToString(m.Sum(nil))
	if got := Sign(secret, at, body); got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	secret := []byte("whsec_current")
	old := []byte("whsec_old")
	body := []byte(`{"id":"evt_1","amount":1000}`)
	at := time.Unix(1700000000, 0)
	good := Sign(secret, at, body)
	oldSig := Sign(old, at, body)
	v1 := func(h string) string { return h[strings.Index(h, "v1="):] }
	tests := []struct {
		name    string
		header  string
		body    []byte
		now     time.Time
		wantErr error
	}{
		{"valid", good, body, at, nil},
		{"valid within tolerance after", good, body, at.Add(5 * time.Minute), nil},
		{"valid within tolerance before", good, body, at.Add(-5 * time.Minute), nil},
		{"rotation: old then new", oldSig + "," + v1(good), body, at, nil},
		{"rotation: new then old", good + "," + v1(oldSig), body, at, nil},
		{"spaces after commas", "t=1700000000, " + v1(good), body, at, nil},
		{"unknown scheme ignored", good + ",v0=abc", body, at, nil},
		{"missing header", "", body, at, ErrNoHeader},
		{"too old", good, body, at.Add(5*time.Minute + time.Second), ErrTimestamp},
		{"from the future", good, body, at.Add(-6 * time.Minute), ErrTimestamp},
		{"body changed", good, []byte(`{"id":"evt_1","amount":100000}`), at, ErrSignature},
		{"only old secret", oldSig, body, at, ErrSignature},
		{"timestamp changed", "t=1700000001," + v1(good), body, at, ErrSignature},
		{"no timestamp", v1(good), body, at, ErrMalformed},
		{"two timestamps", "t=1700000000,t=1700000000," + v1(good), body, at, ErrMalformed},
		{"no signature", "t=1700000000", body, at, ErrNoSignatures},
		{"short signature", "t=1700000000,v1=abcd", body, at, ErrMalformed},
		{"non-hex signature", "t=1700000000,v1=" + strings.Repeat("zz", 32), body, at, ErrMalformed},
		{"signed timestamp", "t=+1700000000," + v1(good), body, at, ErrMalformed},
		{"leading zero timestamp", "t=01700000000," + v1(good), body, at, ErrMalformed},
		{"negative timestamp", "t=-1," + v1(good), body, at, ErrMalformed},
		{"huge timestamp", "t=999999999999999999999," + v1(good), body, at, ErrMalformed},
		{"garbage", "hello", body, at, ErrMalformed},
		{"empty part", good + ",", body, at, ErrMalformed},
		{"too long", good + strings.Repeat(",x=y", 2000), body, at, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(secret, tt.header, tt.body, tt.now, DefaultTolerance)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestVerifyTooManySignatures(t *testing.T) {
	secret := []byte("s")
	at := time.Unix(1700000000, 0)
	h := Sign(secret, at, nil)
	sig := h[strings.Index(h, ",v1="):]
	if err := Verify(secret, "t=1700000000"+strings.Repeat(sig, signaturesMax), nil, at, time.Minute); err != nil {
		t.Fatalf("%d signatures: %v", signaturesMax, err)
	}
	if err := Verify(secret, "t=1700000000"+strings.Repeat(sig, signaturesMax+1), nil, at, time.Minute); !errors.Is(err, ErrMalformed) {
		t.Fatalf("%d signatures: %v, want ErrMalformed", signaturesMax+1, err)
	}
}

func FuzzVerify(f *testing.F) {
	secret := []byte("whsec_fuzz")
	at := time.Unix(1700000000, 0)
	f.Add(Sign(secret, at, []byte("{}")), []byte("{}"), int64(1700000000))
	f.Add("t=1,v1=00", []byte(""), int64(0))
	f.Add("t=1700000000,v1=zz,v1=", []byte("x"), int64(1700000100))
	f.Fuzz(func(t *testing.T, header string, body []byte, now int64) {
		err := Verify(secret, header, body, time.Unix(now, 0), DefaultTolerance)
		if err == nil {
			// Accepted: the header must carry a valid MAC for this exact body.
			ts := header[strings.Index(header, "t=")+2:]
			ts, _, _ = strings.Cut(ts, ",")
			m := hmac.New(sha256.New, secret)
			m.Write([]byte(ts + "." + string(body)))
			if !strings.Contains(strings.ToLower(header), hex.EncodeToString(m.Sum(nil))) {
				t.Fatalf("accepted header %q without the right MAC", header)
			}
		}
		// A freshly signed body always verifies.
		if err := Verify(secret, Sign(secret, time.Unix(1700000000, 0), body), body, time.Unix(1700000000, 0), 0); err != nil {
			t.Fatalf("own signature rejected: %v", err)
		}
	})
}
