// Package password hashes and checks passwords: argon2id over an HMAC of the
// password keyed with a server-side pepper, in PHC string format, computed
// in a bounded worker pool, and a policy after NIST SP 800-63B.
//
// What it promises:
//   - Hash and Verify never run more than `workers` argon2id computations at
//     once, so their memory stays within MemoryBoundBytes; at most queueMax
//     callers wait, none longer than waitMax; the rest get an *apperr.Error
//     with code apperr.RateLimited and RetryAfter set, and burn no memory.
//   - Verify compares in constant time and reports when a stored hash uses
//     weaker parameters than the Hasher's (rehash on next login).
//   - DummyVerify costs what a real Verify costs, so that an unknown user
//     cannot be told from a wrong password by timing.
//   - CheckPolicy refuses short, over-long and common passwords and ones
//     containing the e-mail's local part; when the blocklist cannot be
//     loaded it refuses every password (fail closed).
//
// Passwords are NFC-normalised before hashing, so composed and decomposed
// forms of the same text match.
package password

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// Params are argon2id's cost parameters.
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultParams is OWASP's minimum recommendation for argon2id (19 MiB,
// two passes, one lane), also the floor of OWASP ASVS v4 2.4.
var DefaultParams = Params{MemoryKiB: 19456, Time: 2, Threads: 1}

const (
	saltBytes = 16
	keyBytes  = 32
	// passwordBytesMax bounds what is hashed: 128 characters of up to four
	// bytes each, plus room for combining marks.
	passwordBytesMax = 1024
	// waitMaxDefault bounds how long a caller queues for a hashing worker.
	waitMaxDefault = 2 * time.Second
	// retryAfterDefault is what a rate-limited caller is told to wait.
	retryAfterDefault = 2 * time.Second
	// timeMax and saltBytesMax, keyBytesMax bound what a stored hash may ask for.
	timeMax      = 64
	saltBytesMax = 64
	keyBytesMax  = 64
)

// Hasher hashes and verifies passwords in a bounded pool. Safe for
// concurrent use.
type Hasher struct {
	pepper   []byte
	params   Params
	workers  int
	queueMax int64
	waitMax  time.Duration

	slots   chan struct{} // one token per running computation
	waiting atomic.Int64  // callers queued for a slot
	running atomic.Int64  // computations in progress (metrics, tests)
	peak    atomic.Int64  // the most computations ever in progress at once
	onRun   func()        // test hook, called while holding a slot

	dummy string // a PHC string for DummyVerify with the Hasher's parameters
}

// NewHasher returns a Hasher. pepper is the server secret mixed into every
// hash (keep it out of the database); p of zero value means DefaultParams;
// workers < 1 means 1; queueMax < 0 means 0.
func NewHasher(pepper []byte, p Params, workers, queueMax int) *Hasher {
	if p == (Params{}) {
		p = DefaultParams
	}
	p.MemoryKiB = max(p.MemoryKiB, 8*uint32(max(p.Threads, 1)))
	p.Time = max(p.Time, 1)
	p.Threads = max(p.Threads, 1)
	workers = max(workers, 1)
	queueMax = max(queueMax, 0)
	h := &Hasher{
		pepper:   append([]byte(nil), pepper...),
		params:   p,
		workers:  workers,
		queueMax: int64(queueMax),
		waitMax:  waitMaxDefault,
		slots:    make(chan struct{}, workers),
	}
	salt := make([]byte, saltBytes)
	h.dummy = encodePHC(p, salt, make([]byte, keyBytes))
	return h
}

// Params returns the parameters new hashes get.
func (h *Hasher) Params() Params { return h.params }

// MemoryBoundBytes is the most memory argon2id may hold at once through h:
// workers × MemoryKiB. Verify refuses stored hashes that ask for more memory
// than h's parameters, so the bound holds for them too.
func (h *Hasher) MemoryBoundBytes() int64 {
	return int64(h.workers) * int64(h.params.MemoryKiB) * 1024
}

// Hash returns the PHC string of pw with a fresh random salt. It fails with
// apperr.RateLimited when the pool is saturated.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if len(pw) > passwordBytesMax {
		return "", apperr.E(apperr.Invalid, "The password is too long.").JA("パスワードが長すぎます。")
	}
	salt := make([]byte, saltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key, err := h.derive(ctx, pw, salt, h.params, keyBytes)
	if err != nil {
		return "", err
	}
	return encodePHC(h.params, salt, key), nil
}

// Verify reports whether pw matches the stored PHC string, and whether the
// stored hash should be replaced by a new Hash because its parameters are
// below h's. err is non-nil for a malformed or unacceptable stored hash and
// for a saturated pool (apperr.RateLimited); ok is then false.
func (h *Hasher) Verify(ctx context.Context, pw, phc string) (ok, rehash bool, err error) {
	p, salt, want, err := parsePHC(phc)
	if err != nil {
		return false, false, err
	}
	if p.MemoryKiB > h.params.MemoryKiB {
		return false, false, fmt.Errorf("password: stored hash needs %d KiB, above this hasher's %d KiB", p.MemoryKiB, h.params.MemoryKiB)
	}
	if len(pw) > passwordBytesMax {
		pw = "" // still burn the work; an empty password never matches a real hash
	}
	got, err := h.derive(ctx, pw, salt, p, uint32(len(want)))
	if err != nil {
		return false, false, err
	}
	ok = subtle.ConstantTimeCompare(got, want) == 1 && len(pw) > 0
	rehash = p.MemoryKiB < h.params.MemoryKiB || p.Time < h.params.Time || p.Threads < h.params.Threads || len(want) < keyBytes
	return ok, ok && rehash, nil
}

// DummyVerify burns the work of one Verify with h's parameters. Call it
// when the user is unknown, so that response time does not reveal it.
func (h *Hasher) DummyVerify(ctx context.Context) {
	_, _, _ = h.Verify(ctx, "dummy password", h.dummy)
}

// derive computes argon2id(HMAC-SHA256(pepper, NFC(pw)), salt) in the pool.
func (h *Hasher) derive(ctx context.Context, pw string, salt []byte, p Params, n uint32) ([]byte, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	mac := hmac.New(sha256.New, h.pepper)
	mac.Write([]byte(norm.NFC.String(pw)))
	return argon2.IDKey(mac.Sum(nil), salt, p.Time, p.MemoryKiB, p.Threads, n), nil
}
