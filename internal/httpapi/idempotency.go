package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// API-level idempotency (API.md, "Conventions"): every request that moves
// money carries an Idempotency-Key, scoped to the caller. The first request
// with a key runs; its response (status and body) is stored with a hash of
// the request. A repeat with the same key and the same request gets the
// stored response replayed; with a different request 422
// idempotency_key_reused; while the first is still running 409
// idempotency_key_in_use. The table (api_idempotency) is in the wallet's
// migration set.
//
// A request whose handler panicked releases its key, so the client may
// retry; a crash leaves the key "running" (409) until it is pruned after
// idempotencyTTL: the client must then use a new key, which is safe, since
// the movement may have happened.
const (
	idempotencyKeyBytesMax = 255
	// idempotencyBodyBytesMax bounds a stored response body.
	idempotencyBodyBytesMax = 64 << 10
	// idempotencyTTL: keys are remembered for a day (clients retry within
	// minutes); older rows are pruned by PruneIdempotency.
	idempotencyTTL = 24 * time.Hour
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

// idempotent wraps a money-moving handler (inside requireUser or
// requireMerchant) with the Idempotency-Key protocol.
func idempotent(db *store.DB) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
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

			stored, err := idemBegin(r.Context(), db, scope, key, hash)
			if err != nil {
				writeError(w, r, err)
				return
			}
			if stored != nil {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.Header().Set("Idempotent-Replayed", "true")
				w.WriteHeader(stored.status)
				io.WriteString(w, stored.body)
				return
			}
			rec := &idemRecorder{header: w.Header()}
			done := false
			defer func() {
				if !done {
					idemRelease(context.WithoutCancel(r.Context()), db, scope, key)
				}
			}()
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(rec, r)
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			out := rec.body.String()
			if len(out) > idempotencyBodyBytesMax {
				out = out[:idempotencyBodyBytesMax]
			}
			if err := idemFinish(context.WithoutCancel(r.Context()), db, scope, key, rec.status, out); err != nil {
				loggerFrom(r).Error("idempotency: store response", "err", err)
			}
			done = true
			w.WriteHeader(rec.status)
			w.Write(rec.body.Bytes())
		})
	}
}

type storedResponse struct {
	status int
	body   string
}

// idemBegin claims (scope, key) for a running request, or returns the
// stored response of an earlier identical request.
func idemBegin(ctx context.Context, db *store.DB, scope, key, hash string) (*storedResponse, error) {
	var out *storedResponse
	var outcome error
	err := idemBatcherOf(db).do(ctx, func(ctx context.Context, tx *store.Tx) error {
		out, outcome = nil, nil
		now := time.Now()
		res, err := tx.Exec(ctx, `INSERT INTO api_idempotency (scope, idem_key, request_hash, state, status, body, created_at)
			VALUES (?, ?, ?, 'running', 0, '', ?) ON CONFLICT (scope, idem_key) DO NOTHING`, scope, key, hash, now.UnixMilli())
		if err != nil {
			return fmt.Errorf("idempotency: claim: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var gotHash, state, body string
		var status, created int64
		err = tx.QueryRow(ctx, `SELECT request_hash, state, status, body, created_at FROM api_idempotency WHERE scope = ? AND idem_key = ?`,
			scope, key).Scan(&gotHash, &state, &status, &body, &created)
		if errors.Is(err, store.ErrNoRows) {
			outcome = apperr.E(apperr.IdempotencyKeyInUse, "a request with this Idempotency-Key is in progress").JA("同じ Idempotency-Key のリクエストを処理中です")
			return nil
		}
		if err != nil {
			return fmt.Errorf("idempotency: read: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(gotHash), []byte(hash)) != 1 {
			outcome = apperr.E(apperr.IdempotencyKeyReused, "this Idempotency-Key was used for a different request").JA("この Idempotency-Key は別のリクエストに使われています")
			return nil
		}
		if state != "done" {
			outcome = apperr.E(apperr.IdempotencyKeyInUse, "a request with this Idempotency-Key is in progress").JA("同じ Idempotency-Key のリクエストを処理中です")
			return nil
		}
		out = &storedResponse{status: int(status), body: body}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, outcome
}

func idemFinish(ctx context.Context, db *store.DB, scope, key string, status int, body string) error {
	return idemBatcherOf(db).do(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE api_idempotency SET state = 'done', status = ?, body = ? WHERE scope = ? AND idem_key = ?`,
			status, body, scope, key)
		return err
	})
}

func idemRelease(ctx context.Context, db *store.DB, scope, key string) {
	idemBatcherOf(db).do(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM api_idempotency WHERE scope = ? AND idem_key = ? AND state = 'running'`, scope, key)
		return err
	})
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
