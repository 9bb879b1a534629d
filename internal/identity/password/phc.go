package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// phcBytesMax bounds a stored hash string before it is parsed.
const phcBytesMax = 512

var b64 = base64.RawStdEncoding

// encodePHC writes "$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>".
func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

var errMalformed = errors.New("password: malformed stored hash")

// parsePHC reads a string written by encodePHC, refusing other algorithms,
// versions and parameters outside bounds.
func parsePHC(s string) (Params, []byte, []byte, error) {
	var p Params
	if len(s) > phcBytesMax {
		return p, nil, nil, errMalformed
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errMalformed
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version || parts[2] != fmt.Sprintf("v=%d", v) {
		return p, nil, nil, fmt.Errorf("%w: version %q", errMalformed, parts[2])
	}
	var m, t, threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &threads); err != nil ||
		parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", m, t, threads) {
		return p, nil, nil, fmt.Errorf("%w: parameters %q", errMalformed, parts[3])
	}
	if t < 1 || t > timeMax || threads < 1 || threads > 255 || m < 8*threads {
		return p, nil, nil, fmt.Errorf("%w: parameters out of bounds %q", errMalformed, parts[3])
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > saltBytesMax {
		return p, nil, nil, fmt.Errorf("%w: salt", errMalformed)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > keyBytesMax {
		return p, nil, nil, fmt.Errorf("%w: hash", errMalformed)
	}
	return Params{MemoryKiB: m, Time: t, Threads: uint8(threads)}, salt, key, nil
}
