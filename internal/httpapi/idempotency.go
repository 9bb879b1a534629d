package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/store"
)

// API-level idempotency (API.md, "Conventions"): every request that moves
// money carries an Idempotency-Key, scoped to the caller. The first request
// with a key claims its record (package idem) with a lease and runs; a
// repeat with a different request gets 422 idempotency_key_reused, one
// while a live request holds the lease 409 idempotency_key_in_use.
//
// What is stored (Stripe's rule): a response is kept for replay only once
// the operation started — the domain service bound its operation to the
// record (idem.Claim.Bind) in the transaction that created it. A request
// refused before that (authentication, KYC, reauthentication, rate limit,
// validation, a kill switch) leaves nothing: its record is deleted and a
// retry runs anew. The stored body is sealed (AES-GCM, bound to scope and
// key), since some answers hold a secret (a payment code, an OAuth state).
//
// After a crash: a lease is held only by a live request (renewed every
// third of its length while the handler runs); once it has expired, a retry
// with the same key takes the record over. If the record names an
// operation, the route's recoverFunc finishes that operation (the
// reconciler's step, at once) and answers its real outcome — the
// operation never runs twice; if it names none, nothing happened and the
// request runs. A 5xx answer after the operation started (its outcome
// unknown) is not stored either: the lease is dropped so that the retry
// recovers the operation.

// idempotencyKeyBytesMax bounds an Idempotency-Key (API.md).
const idempotencyKeyBytesMax = 255

// The fault points of Deps.Fault on the idempotency path (crash tests).
const (
	// FaultIdemClaimed: the key is claimed, the handler has not run.
	FaultIdemClaimed = "idem.claimed"
	// FaultIdemRan: the handler answered, its answer is not stored.
	FaultIdemRan = "idem.ran"
	// FaultIdemStored: the answer is stored, not yet sent.
	FaultIdemStored = "idem.stored"
)

// validIdempotencyKey: 1–255 printable ASCII characters.
func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > idempotencyKeyBytesMax {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// idempotencyScope is the caller: the session's user or the merchant.
func idempotencyScope(r *http.Request) string {
	if m, ok := merchantFrom(r); ok {
		return "merchant:" + m.ID
	}
	if s := sessionFrom(r); s.UserID != "" {
		return "user:" + s.UserID
	}
	return ""
}

// idemRecorder buffers the response so that it can be stored, then sent.
type idemRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *idemRecorder) Header() http.Header { return r.header }
func (r *idemRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *idemRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// recoverFunc answers for operation opID, which an earlier request with
// the same key started before it died (or lost its lease): it finishes the
// operation first if it is still pending, then writes the response the
// first request would have written. An answer of 5xx (still unknown) is
// not stored, and the next retry recovers again.
type recoverFunc func(w http.ResponseWriter, r *http.Request, opID string)

// idemService is the idempotency protocol on one database.
type idemService struct {
	records *idem.Records
	fault   func(point, id string) error
}

// newIdemService: sealKey is 32 bytes (nil in tests: a key of this
// process only, so that nothing survives a restart); lease 0 is the default.
func newIdemService(db *store.DB, sealKey []byte, lease time.Duration, fault func(point, id string) error) *idemService {
	recs, err := idem.New(db, time.Now, idem.Config{SealKey: sealKey, Lease: lease})
	if err != nil {
		panic(fmt.Sprintf("httpapi: idempotency records: %v", err))
	}
	return &idemService{records: recs, fault: fault}
}

func (s *idemService) crash(point, id string) error {
	if s.fault == nil {
		return nil
	}
	return s.fault(point, id)
}

// middleware wraps a money-moving handler (inside requireUser or
// requireMerchant) with the protocol; rec answers for an operation a dead
// request started (nil: the route's operations are not recovered but run
// anew, for those whose answer cannot be rebuilt and that move no money).
func (s *idemService) middleware(next http.Handler, rec recoverFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if !validIdempotencyKey(key) {
			writeError(w, r, apperr.E(apperr.IdempotencyKeyRequired,
				"an Idempotency-Key header of 1-255 printable ASCII characters is required").JA("Idempotency-Key ヘッダー(1〜255 文字の ASCII)が必要です"))
			return
		}
		scope := idempotencyScope(r)
		if scope == "" {
			writeError(w, r, apperr.E(apperr.Internal, "idempotent route without an authenticated caller"))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, bodyBytesMax))
		if err != nil {
			writeError(w, r, apperr.Wrap(apperr.Invalid, fmt.Sprintf("request body over %d bytes", bodyBytesMax), err).JA("リクエストが大きすぎます"))
			return
		}
		h := sha256.New()
		fmt.Fprintf(h, "%s\n%s\n", r.Method, r.URL.Path)
		h.Write(body)
		hash := hex.EncodeToString(h.Sum(nil))

		got, err := s.records.Begin(r.Context(), scope, key, hash)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if got.Replay != nil {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(got.Replay.Status)
			io.WriteString(w, got.Replay.Body)
			return
		}
		claim := got.Claim
		if err := s.crash(FaultIdemClaimed, key); err != nil {
			writeError(w, r, err) // a simulated crash: the record stays claimed
			return
		}
		ctx := r.Context()
		out := &idemRecorder{header: w.Header()}
		stopRenew := s.records.KeepAlive(claim)
		settled := false
		defer func() {
			stopRenew()
			if !settled { // the handler panicked
				s.records.Release(context.WithoutCancel(ctx), claim)
			}
		}()
		r = r.WithContext(idem.With(ctx, claim))
		r.Body = io.NopCloser(bytes.NewReader(body))
		if got.OpID != "" && rec != nil {
			rec(out, r, got.OpID)
		} else {
			next.ServeHTTP(out, r)
		}
		stopRenew()
		if out.status == 0 {
			out.status = http.StatusOK
		}
		if err := s.crash(FaultIdemRan, key); err != nil {
			settled = true
			writeError(w, r, err)
			return
		}
		if err := s.settle(context.WithoutCancel(ctx), claim, out.status, out.body.String()); err != nil {
			loggerFrom(r).Error("idempotency: store response", "err", err)
		}
		settled = true
		if err := s.crash(FaultIdemStored, key); err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(out.status)
		w.Write(out.body.Bytes())
	})
}

// settle ends a claim after its handler answered: an answer below 500 is
// kept for replay (if the request started its operation); a 5xx answer
// after the start (its outcome unknown) is not, and a retry recovers the
// operation.
func (s *idemService) settle(ctx context.Context, claim *idem.Claim, status int, body string) error {
	if status < 500 {
		return s.records.Finish(ctx, claim, idem.Answer{Status: status, Body: body})
	}
	return s.records.Release(ctx, claim)
}
