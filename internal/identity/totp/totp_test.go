package totp

import (
	"bytes"
	"encoding/base32"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestRFC6238Vectors checks the SHA-1 column of RFC 6238 Appendix B
// (8 digits, secret "12345678901234567890").
func TestRFC6238Vectors(t *testing.T) {
	key := []byte("12345678901234567890")
	tests := []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	secret := base32.StdEncoding.EncodeToString(key)
	for _, tc := range tests {
		at := time.Unix(tc.unix, 0)
		if got := codeAt(key, Step(at), 8); got != tc.want {
			t.Errorf("8-digit code at %d = %s, want %s", tc.unix, got, tc.want)
		}
		got, err := Code(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want[2:] {
			t.Errorf("Code at %d = %s, want %s (6 digits)", tc.unix, got, tc.want[2:])
		}
	}
}

func TestValidate(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	now := time.Unix(1111111111, 0) // step 37037037, code 050471
	cur := Step(now)
	codeAtOffset := func(d int) string {
		c, err := Code(secret, now.Add(time.Duration(d)*30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name     string
		secret   string
		code     string
		lastStep int64
		wantStep int64
		wantOK   bool
	}{
		{name: "current step", secret: secret, code: "050471", lastStep: 0, wantStep: cur, wantOK: true},
		{name: "previous step", secret: secret, code: codeAtOffset(-1), lastStep: 0, wantStep: cur - 1, wantOK: true},
		{name: "next step", secret: secret, code: codeAtOffset(1), lastStep: 0, wantStep: cur + 1, wantOK: true},
		{name: "two steps old", secret: secret, code: codeAtOffset(-2)},
		{name: "two steps ahead", secret: secret, code: codeAtOffset(2)},
		{name: "spaces typed", secret: secret, code: "050 471", wantStep: cur, wantOK: true},
		{name: "lower-case unpadded secret", secret: strings.ToLower(strings.TrimRight(secret, "=")), code: "050471", wantStep: cur, wantOK: true},
		{name: "wrong code", secret: secret, code: "050472"},
		{name: "replay of the same step", secret: secret, code: "050471", lastStep: cur},
		{name: "replay of an older step", secret: secret, code: codeAtOffset(-1), lastStep: cur},
		{name: "after a later step was used", secret: secret, code: "050471", lastStep: cur + 1},
		{name: "next step after current used", secret: secret, code: codeAtOffset(1), lastStep: cur, wantStep: cur + 1, wantOK: true},
		{name: "5 digits", secret: secret, code: "05047"},
		{name: "7 digits", secret: secret, code: "0504710"},
		{name: "letters", secret: secret, code: "05o471"},
		{name: "fullwidth digits", secret: secret, code: "０５０４７１"},
		{name: "empty", secret: secret, code: ""},
		{name: "bad secret", secret: "not base32!", code: "050471"},
		{name: "empty secret", secret: "", code: "050471"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			step, ok := Validate(tc.secret, tc.code, now, tc.lastStep)
			if ok != tc.wantOK || (ok && step != tc.wantStep) {
				t.Fatalf("Validate = step %d ok %v, want step %d ok %v", step, ok, tc.wantStep, tc.wantOK)
			}
		})
	}
}

// TestReplayRefused walks the intended use: the step Validate returns is
// stored, and the same code is refused for its whole lifetime.
func TestReplayRefused(t *testing.T) {
	secret, _, err := Generate("saifu", "taro@example.com")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_750_000_005, 0)
	code, err := Code(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	last, ok := Validate(secret, code, now, -1)
	if !ok {
		t.Fatal("fresh code refused")
	}
	for _, later := range []time.Duration{0, 10 * time.Second, 40 * time.Second} {
		if _, ok := Validate(secret, code, now.Add(later), last); ok {
			t.Fatalf("code replayed %v later was accepted", later)
		}
	}
}

func TestGenerate(t *testing.T) {
	secret, uri, err := Generate("saifu", "taro@example.com")
	if err != nil {
		t.Fatal(err)
	}
	key, err := decodeSecret(secret)
	if err != nil || len(key) != 20 {
		t.Fatalf("secret %q decodes to %d bytes (%v), want 20", secret, len(key), err)
	}
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || q.Get("secret") != secret || q.Get("issuer") != "saifu" ||
		q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Fatalf("URI = %q, want otpauth://totp with secret, issuer, SHA1, 6 digits, 30 s", uri)
	}
	other, _, _ := Generate("saifu", "taro@example.com")
	if other == secret {
		t.Fatal("two secrets are equal")
	}
	for _, bad := range [][2]string{{"", "a"}, {"a", ""}, {strings.Repeat("x", 300), "a"}} {
		if _, _, err := Generate(bad[0], bad[1]); err == nil {
			t.Errorf("Generate(%q, %q) succeeded, want error", bad[0], bad[1])
		}
	}
}

func TestQRPNG(t *testing.T) {
	_, uri, err := Generate("saifu", "taro@example.com")
	if err != nil {
		t.Fatal(err)
	}
	b, err := QRPNG(uri, 256)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r := img.Bounds(); r.Dx() != 256 || r.Dy() != 256 {
		t.Fatalf("QR is %v, want 256×256", r)
	}
	for _, size := range []int{0, 10, 5000} {
		if _, err := QRPNG(uri, size); err == nil {
			t.Errorf("QRPNG size %d succeeded, want error", size)
		}
	}
	if _, err := QRPNG("https://example.com", 256); err == nil {
		t.Error("QRPNG of a non-otpauth URI succeeded, want error")
	}
}
