package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func testBox(t *testing.T, fill byte) *Box {
	t.Helper()
	b, err := New(bytes.Repeat([]byte{fill}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	b := testBox(t, 1)
	tests := []struct {
		name       string
		plain, aad []byte
	}{
		{name: "totp seed", plain: []byte("JBSWY3DPEHPK3PXP"), aad: []byte("totp:user-1")},
		{name: "empty plain", plain: []byte{}, aad: []byte("x")},
		{name: "no aad", plain: []byte("bank token"), aad: nil},
		{name: "binary", plain: []byte{0, 1, 2, 255}, aad: []byte("bank:7")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := b.Seal(tc.plain, tc.aad)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(s, "v1.") || strings.ContainsAny(s, "+/= ") {
				t.Fatalf("Seal = %q, want v1.<base64url>", s)
			}
			if len(tc.plain) > 0 && strings.Contains(s, string(tc.plain)) {
				t.Fatalf("Seal leaks the plaintext: %q", s)
			}
			got, err := b.Open(s, tc.aad)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.plain) {
				t.Fatalf("Open = %q, want %q", got, tc.plain)
			}
			again, _ := b.Seal(tc.plain, tc.aad)
			if again == s {
				t.Fatal("two seals are equal: nonce reused")
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	b := testBox(t, 1)
	s, err := b.Seal([]byte("JBSWY3DPEHPK3PXP"), []byte("totp:user-1"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s, "v1."))
	flip := func(i int) string {
		c := bytes.Clone(raw)
		c[i] ^= 1
		return "v1." + base64.RawURLEncoding.EncodeToString(c)
	}
	tests := []struct {
		name string
		box  *Box
		s    string
		aad  string
	}{
		{name: "wrong aad", box: b, s: s, aad: "totp:user-2"},
		{name: "missing aad", box: b, s: s, aad: ""},
		{name: "wrong key", box: testBox(t, 2), s: s, aad: "totp:user-1"},
		{name: "nonce flipped", box: b, s: flip(0), aad: "totp:user-1"},
		{name: "ciphertext flipped", box: b, s: flip(14), aad: "totp:user-1"},
		{name: "tag flipped", box: b, s: flip(len(raw) - 1), aad: "totp:user-1"},
		{name: "truncated", box: b, s: s[:len(s)-4], aad: "totp:user-1"},
		{name: "too short", box: b, s: "v1.AAAA", aad: "totp:user-1"},
		{name: "unknown version", box: b, s: "v2." + strings.TrimPrefix(s, "v1."), aad: "totp:user-1"},
		{name: "no prefix", box: b, s: strings.TrimPrefix(s, "v1."), aad: "totp:user-1"},
		{name: "not base64", box: b, s: "v1.!!!!", aad: "totp:user-1"},
		{name: "empty", box: b, s: "", aad: "totp:user-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.box.Open(tc.s, []byte(tc.aad))
			if !errors.Is(err, ErrOpen) || got != nil {
				t.Fatalf("Open = %q, %v; want nil, ErrOpen", got, err)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	key := bytes.Repeat([]byte{0xab}, 32)
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{name: "hex", in: hex.EncodeToString(key)},
		{name: "hex upper with newline", in: strings.ToUpper(hex.EncodeToString(key)) + "\n"},
		{name: "base64", in: base64.StdEncoding.EncodeToString(key)},
		{name: "base64 raw url", in: base64.RawURLEncoding.EncodeToString(key)},
		{name: "short hex", in: hex.EncodeToString(key[:16]), wantErr: true},
		{name: "long base64", in: base64.StdEncoding.EncodeToString(append(key, 1)), wantErr: true},
		{name: "garbage", in: "not a key", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := KeyFromString(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("KeyFromString(%q) = %x, want error", tc.in, got)
				}
				return
			}
			if err != nil || !bytes.Equal(got, key) {
				t.Fatalf("KeyFromString(%q) = %x, %v; want %x", tc.in, got, err, key)
			}
		})
	}
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := New(make([]byte, n)); err == nil {
			t.Errorf("New with %d-byte key succeeded, want error", n)
		}
	}
}

func FuzzOpen(f *testing.F) {
	b, _ := New(bytes.Repeat([]byte{1}, 32))
	s, _ := b.Seal([]byte("seed"), []byte("aad"))
	f.Add(s)
	f.Add("v1.")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := b.Open(in, []byte("aad"))
		// Only the sealed bytes can authenticate (a string may differ from s
		// in base64 padding bits and still carry them).
		if err == nil && string(got) != "seed" {
			t.Fatalf("Open(%q) = %q: forged value accepted", in, got)
		}
	})
}
