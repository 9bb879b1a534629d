// Package totp implements time-based one-time passwords (RFC 6238) as
// authenticator apps know them: HMAC-SHA-1, 6 digits, 30-second steps.
//
// What it promises:
//   - Validate accepts a code of the current step or one step either side
//     (clock drift), compares in constant time, and returns the step it
//     matched; a code whose step is not after lastStep is refused, so that
//     storing the returned step as the next lastStep makes every code
//     single-use (RFC 6238 §5.2).
//   - Generate makes a 160-bit random secret (RFC 4226 §4 recommends at
//     least 128, and 160 is what SHA-1 keys are sized for).
package totp

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	pqtotp "github.com/pquerna/otp/totp"
)

const (
	digits      = 6
	stepSeconds = 30
	// skewSteps is how many steps before and after now a code may belong to.
	skewSteps = 1
	// secretBytes is the size of generated secrets.
	secretBytes = 20
	// secretCharsMax bounds an accepted base32 secret (64 bytes of key).
	secretCharsMax = 128
	// labelBytesMax bounds issuer and account names in the otpauth URI.
	labelBytesMax = 256
	// qrSizeMin and qrSizeMax bound QRPNG's square edge in pixels.
	qrSizeMin = 64
	qrSizeMax = 1024
	// uriBytesMax bounds what QRPNG encodes (a QR code holds under 3 KB).
	uriBytesMax = 2048
)

// Generate makes a new random secret and the otpauth:// URI that an
// authenticator app scans.
func Generate(issuer, account string) (secretBase32, otpauthURI string, err error) {
	if issuer == "" || account == "" || len(issuer) > labelBytesMax || len(account) > labelBytesMax {
		return "", "", errors.New("totp: issuer and account must be 1 to 256 bytes")
	}
	key, err := pqtotp.Generate(pqtotp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Period:      stepSeconds,
		SecretSize:  secretBytes,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", "", fmt.Errorf("totp: generate: %w", err)
	}
	return key.Secret(), key.URL(), nil
}

// Step returns the time step of t.
func Step(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return -1
	}
	return s / stepSeconds
}

// Code returns the code of t's step.
func Code(secretBase32 string, t time.Time) (string, error) {
	key, err := decodeSecret(secretBase32)
	if err != nil {
		return "", err
	}
	return codeAt(key, Step(t), digits), nil
}

// Validate checks code against the steps around now. It returns the
// matched step and ok true only for a correct code whose step is after
// lastStep; the caller stores step as the new lastStep. A malformed secret
// or code gives ok false.
func Validate(secretBase32, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != digits {
		return 0, false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return 0, false
		}
	}
	key, err := decodeSecret(secretBase32)
	if err != nil {
		return 0, false
	}
	cur := Step(now)
	matched := int64(-1)
	// Every candidate is computed and compared, so the time taken does not
	// say which step (if any) matched.
	for s := cur - skewSteps; s <= cur+skewSteps; s++ {
		eq := subtle.ConstantTimeCompare([]byte(codeAt(key, s, digits)), []byte(code)) == 1
		if eq && s > lastStep && s >= 0 {
			matched = s
		}
	}
	if matched < 0 {
		return 0, false
	}
	return matched, true
}

// QRPNG renders uri as a size×size PNG QR code.
func QRPNG(uri string, size int) ([]byte, error) {
	if size < qrSizeMin || size > qrSizeMax {
		return nil, fmt.Errorf("totp: QR size %d outside %d..%d", size, qrSizeMin, qrSizeMax)
	}
	if !strings.HasPrefix(uri, "otpauth://totp/") || len(uri) > uriBytesMax {
		return nil, errors.New("totp: QR: not an otpauth://totp/ URI of at most 2048 bytes")
	}
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return nil, fmt.Errorf("totp: QR: %w", err)
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("totp: QR: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("totp: QR: %w", err)
	}
	return buf.Bytes(), nil
}

var errSecret = errors.New("totp: malformed secret")

// decodeSecret reads base32 as apps show it: any case, spaces, with or
// without padding.
func decodeSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	s = strings.TrimRight(s, "=")
	if s == "" || len(s) > secretCharsMax {
		return nil, errSecret
	}
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(key) < 10 {
		return nil, errSecret
	}
	return key, nil
}

// codeAt is HOTP (RFC 4226 §5.3) of counter step with n digits.
func codeAt(key []byte, step int64, n int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range n {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", n, bin%mod)
}
