package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/seal"
	"github.com/saifu-pay/saifu/internal/store"
)

// API-level idempotency (API.md, "Conventions"): every request that moves
// money carries an Idempotency-Key, scoped to the caller. The first request
// with a key claims its record (api_idempotency, in the wallet's migration
// set) with a lease and runs; a repeat with a different request gets 422
// idempotency_key_reused, one while a live request holds the lease 409
// idempotency_key_in_use.
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
const (
	idempotencyKeyBytesMax = 255
	// idempotencyBodyBytesMax bounds a stored response body (seal's bound).
	idempotencyBodyBytesMax = 64 << 10
	// idempotencyTTL: keys are remembered for a day (clients retry within
	// minutes); older rows are pruned by PruneIdempotency.
	idempotencyTTL = 24 * time.Hour
	// idempotencyLeaseDefault is how long a claim holds its key without a
	// renewal: several times a slow request's step (connector calls time
	// out well within it), renewed while the request runs.
	idempotencyLeaseDefault = 30 * time.Second
	// idempotencyLeaseMin bounds the lease from below: renewals every
	// third of it must not flood the database.
	idempotencyLeaseMin = 300 * time.Millisecond
)

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
	db    *store.DB
	box   *seal.Box
	lease time.Duration
	node  string // this process: the owner prefix of its leases
	fault func(point, id string) error
	now   func() time.Time
}

// newIdemService: sealKey is 32 bytes (nil in tests: a key of this
// process only, so that nothing survives a restart); lease 0 is the default.
func newIdemService(db *store.DB, sealKey []byte, lease time.Duration, fault func(point, id string) error) *idemService {
	if sealKey == nil {
		sealKey = make([]byte, 32)
		rand.Read(sealKey)
	}
	box, err := seal.New(sealKey)
	if err != nil {
		panic(fmt.Sprintf("httpapi: idempotency seal key: %v", err))
	}
	if lease <= 0 {
		lease = idempotencyLeaseDefault
	}
	return &idemService{db: db, box: box, lease: max(lease, idempotencyLeaseMin), node: randHex(8), fault: fault, now: time.Now}
}

func hashEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
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

		claim := &idem.Claim{Scope: scope, Key: key, Owner: s.node + "/" + randHex(8)}
		got, err := s.begin(r.Context(), claim, hash)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if got.replay != nil {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(got.replay.status)
			io.WriteString(w, got.replay.body)
			return
		}
		if err := s.crash(FaultIdemClaimed, key); err != nil {
			writeError(w, r, err) // a simulated crash: the record stays claimed
			return
		}
		ctx := r.Context()
		out := &idemRecorder{header: w.Header()}
		stopRenew := s.renew(claim)
		settled := false
		defer func() {
			stopRenew()
			if !settled { // the handler panicked
				s.settle(context.WithoutCancel(ctx), claim, http.StatusInternalServerError, "")
			}
		}()
		r = r.WithContext(idem.With(ctx, claim))
		r.Body = io.NopCloser(bytes.NewReader(body))
		if got.opID != "" && rec != nil {
			rec(out, r, got.opID)
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
		stored := out.body.String()
		if len(stored) > idempotencyBodyBytesMax {
			stored = stored[:idempotencyBodyBytesMax]
		}
		if err := s.settle(context.WithoutCancel(ctx), claim, out.status, stored); err != nil {
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

type storedResponse struct {
	status int
	body   string
}

// beginResult: a stored response to replay, or a claim (fresh, or taken
// over from an expired lease, naming the operation opID that the dead
// request started, if any).
type beginResult struct {
	replay *storedResponse
	opID   string
}

func errKeyInUse() error {
	return apperr.E(apperr.IdempotencyKeyInUse, "a request with this Idempotency-Key is in progress").JA("同じ Idempotency-Key のリクエストを処理中です")
}

// sealAAD binds a stored body to its record.
func sealAAD(scope, key string) []byte { return []byte("api_idempotency\n" + scope + "\n" + key) }

// begin claims the record of (claim.Scope, claim.Key) for claim.Owner, or
// returns the stored response of an earlier identical request.
func (s *idemService) begin(ctx context.Context, claim *idem.Claim, hash string) (beginResult, error) {
	var out beginResult
	var outcome error
	var sealedBody string
	err := idemBatcherOf(s.db).do(ctx, func(ctx context.Context, tx *store.Tx) error {
		out, outcome, sealedBody = beginResult{}, nil, ""
		now := s.now()
		res, err := tx.Exec(ctx, `INSERT INTO api_idempotency (scope, idem_key, request_hash, state, status, body, created_at, lease_owner, lease_until)
			VALUES (?, ?, ?, 'running', 0, '', ?, ?, ?) ON CONFLICT (scope, idem_key) DO NOTHING`,
			claim.Scope, claim.Key, hash, now.UnixMilli(), claim.Owner, now.Add(s.lease).UnixMilli())
		if err != nil {
			return fmt.Errorf("idempotency: claim: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var gotHash, state, body, owner, opID string
		var status, sealed, leaseUntil int64
		err = tx.QueryRow(ctx, `SELECT request_hash, state, status, body, sealed, lease_owner, lease_until, op_id
			FROM api_idempotency WHERE scope = ? AND idem_key = ?`, claim.Scope, claim.Key).Scan(
			&gotHash, &state, &status, &body, &sealed, &owner, &leaseUntil, &opID)
		if err != nil { // ErrNoRows: deleted meanwhile; the client retries
			outcome = errKeyInUse()
			return nil
		}
		switch {
		case !hashEqual(gotHash, hash):
			outcome = apperr.E(apperr.IdempotencyKeyReused, "this Idempotency-Key was used for a different request").JA("この Idempotency-Key は別のリクエストに使われています")
		case state == "done" && sealed == 1:
			out.replay, sealedBody = &storedResponse{status: int(status)}, body
		case state == "done":
			out.replay = &storedResponse{status: int(status), body: body} // before sealing (no secrets)
		case leaseUntil > now.UnixMilli():
			outcome = errKeyInUse()
		default:
			// The lease ran out: its request is dead (or far too slow).
			// Take the record over, unless another retry just did.
			res, err := tx.Exec(ctx, `UPDATE api_idempotency SET lease_owner = ?, lease_until = ?
				WHERE scope = ? AND idem_key = ? AND state = 'running' AND lease_owner = ? AND lease_until = ?`,
				claim.Owner, now.Add(s.lease).UnixMilli(), claim.Scope, claim.Key, owner, leaseUntil)
			if err != nil {
				return fmt.Errorf("idempotency: take over: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				outcome = errKeyInUse()
				return nil
			}
			out.opID = opID
		}
		return nil
	})
	if err != nil {
		return beginResult{}, err
	}
	if outcome != nil {
		return beginResult{}, outcome
	}
	if out.replay != nil && sealedBody != "" {
		plain, err := s.box.Open(sealedBody, sealAAD(claim.Scope, claim.Key))
		if err != nil {
			return beginResult{}, fmt.Errorf("idempotency: open stored response: %w", err)
		}
		out.replay.body = string(plain)
	}
	return out, nil
}

// settle ends a claim after its handler answered. An answer below 500 of
// a request that started its operation is stored (sealed) for replay; a
// 5xx answer after the start keeps the record for a retry to recover, with
// the lease dropped; a request that started nothing leaves no record.
func (s *idemService) settle(ctx context.Context, claim *idem.Claim, status int, body string) error {
	sealed := ""
	if status < 500 {
		var err error
		if sealed, err = s.box.Seal([]byte(body), sealAAD(claim.Scope, claim.Key)); err != nil {
			return fmt.Errorf("idempotency: seal response: %w", err)
		}
	}
	return idemBatcherOf(s.db).do(ctx, func(ctx context.Context, tx *store.Tx) error {
		var res interface{ RowsAffected() (int64, error) }
		var err error
		if status < 500 {
			res, err = tx.Exec(ctx, `UPDATE api_idempotency SET state = 'done', status = ?, body = ?, sealed = 1, lease_owner = '', lease_until = 0
				WHERE scope = ? AND idem_key = ? AND state = 'running' AND lease_owner = ? AND op_id <> ''`,
				status, sealed, claim.Scope, claim.Key, claim.Owner)
		} else {
			res, err = tx.Exec(ctx, `UPDATE api_idempotency SET lease_until = 0
				WHERE scope = ? AND idem_key = ? AND state = 'running' AND lease_owner = ? AND op_id <> ''`,
				claim.Scope, claim.Key, claim.Owner)
		}
		if err != nil {
			return fmt.Errorf("idempotency: settle: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		_, err = tx.Exec(ctx, `DELETE FROM api_idempotency WHERE scope = ? AND idem_key = ? AND state = 'running' AND lease_owner = ? AND op_id = ''`,
			claim.Scope, claim.Key, claim.Owner)
		if err != nil {
			return fmt.Errorf("idempotency: release: %w", err)
		}
		return nil
	})
}

// renew keeps the claim's lease alive while its request runs, every third
// of the lease; the returned func stops it (and may be called twice).
func (s *idemService) renew(claim *idem.Claim) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(s.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			err := idemBatcherOf(s.db).do(context.Background(), func(ctx context.Context, tx *store.Tx) error {
				_, err := tx.Exec(ctx, `UPDATE api_idempotency SET lease_until = ?
					WHERE scope = ? AND idem_key = ? AND state = 'running' AND lease_owner = ?`,
					s.now().Add(s.lease).UnixMilli(), claim.Scope, claim.Key, claim.Owner)
				return err
			})
			if err != nil {
				slog.Default().Warn("idempotency: renew lease", "err", err)
			}
		}
	}()
	var once bool
	return func() {
		if !once {
			once = true
			close(done)
			<-stopped
		}
	}
}

// PruneIdempotency forgets keys older than a day; the server calls it
// periodically. It returns how many were removed.
func PruneIdempotency(ctx context.Context, db *store.DB, now time.Time) (int64, error) {
	var n int64
	err := db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM api_idempotency WHERE created_at < ?`, now.Add(-idempotencyTTL).UnixMilli())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
