// Package webhook signs and verifies the webhooks saifu sends to merchants.
//
// Every webhook is an HTTP POST whose body is JSON and whose Saifu-Signature
// header reads
//
//	t=<unix seconds>,v1=<hex HMAC-SHA256 of "<unix seconds>.<body>">
//
// keyed with the merchant's webhook secret (whsec_…). A merchant verifies the
// header over the raw request body, before parsing it, with Verify; the
// timestamp bounds replays to the tolerance the merchant chooses (five
// minutes is a good default). During a secret rotation the header may carry
// several v1 entries, one per secret; any one that matches is enough.
//
// This package is public so that merchants' Go servers can import it. It
// needs only the standard library; a merchant adds it with
//
//	go get github.com/saifu-pay/saifu/webhook
//
// (or, before the repository is published, vendors this one file or points a
// replace directive at a clone: go mod edit -replace
// github.com/saifu-pay/saifu=../saifu), then:
//
//	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
//	err := webhook.Verify(secret, r.Header.Get(webhook.Header), body, time.Now(), webhook.DefaultTolerance)
//	if err != nil { http.Error(w, "bad signature", 400); return }
package webhook // import "github.com/saifu-pay/saifu/webhook"

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header is the name of the HTTP header that carries the signature.
const Header = "Saifu-Signature"

// DefaultTolerance is how far a signature's timestamp may be from now.
const DefaultTolerance = 5 * time.Minute

// headerBytesMax bounds the header Verify will look at; a real header with a
// handful of rotated signatures is a few hundred bytes.
const headerBytesMax = 4096

// signaturesMax bounds how many v1 entries Verify will try.
const signaturesMax = 8

// The errors Verify returns; compare with errors.Is.
var (
	ErrNoHeader     = errors.New("webhook: missing signature header")
	ErrMalformed    = errors.New("webhook: malformed signature header")
	ErrTimestamp    = errors.New("webhook: timestamp outside tolerance")
	ErrNoSignatures = errors.New("webhook: no v1 signature in header")
	ErrSignature    = errors.New("webhook: signature does not match")
)

// Sign returns the Saifu-Signature header value for body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks header (the Saifu-Signature value) against body and secret.
// It fails when the header is missing or malformed, when its timestamp is
// more than tolerance away from now (either direction), or when no v1
// signature matches. Signatures are compared in constant time. Unknown
// schemes (v0, v2…) are ignored, so that saifu can add schemes later.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if header == "" {
		return ErrNoHeader
	}
	if len(header) > headerBytesMax {
		return ErrMalformed
	}
	var (
		ts     string
		tsSeen bool
		sigs   [][]byte
	)
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" {
			return ErrMalformed
		}
		switch k {
		case "t":
			if tsSeen {
				return ErrMalformed
			}
			ts, tsSeen = v, true
		case "v1":
			if len(v) != 2*sha256.Size {
				return ErrMalformed
			}
			b, err := hex.DecodeString(v)
			if err != nil {
				return ErrMalformed
			}
			if len(sigs) >= signaturesMax {
				return ErrMalformed
			}
			sigs = append(sigs, b)
		}
	}
	if !tsSeen || !validUnix(ts) {
		return ErrMalformed
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrMalformed
	}
	if tolerance < 0 {
		tolerance = 0
	}
	d := now.Unix() - sec
	if d < 0 {
		d = -d
	}
	// Compare in seconds; a timestamp far in the past or future must not
	// overflow time.Duration.
	if d > int64(tolerance/time.Second) {
		return ErrTimestamp
	}
	if len(sigs) == 0 {
		return ErrNoSignatures
	}
	want := mac(secret, ts, body)
	ok := 0
	for _, s := range sigs {
		ok |= hmacEqual(s, want)
	}
	if ok != 1 {
		return ErrSignature
	}
	return nil
}

func hmacEqual(a, b []byte) int {
	if hmac.Equal(a, b) {
		return 1
	}
	return 0
}

// validUnix accepts 1 to 12 decimal digits: no sign, no spaces, no leading
// "+", so that one timestamp has exactly one spelling in the signed string.
func validUnix(s string) bool {
	if len(s) == 0 || len(s) > 12 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
