package idem

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/seal"
	"github.com/saifu-pay/saifu/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates the idempotency records (set "idem"). It must run
// before the wallet's, whose migration 020 moves its older records here.
var Migrations = store.EmbeddedMigrations("idem", migrationFiles, "migrations")

const (
	// TTL: keys are remembered for a day (clients retry within minutes);
	// older records are removed by Prune.
	TTL = 24 * time.Hour
	// LeaseDefault is how long a claim holds its key without a renewal:
	// several times a slow request's step (connector calls time out well
	// within it); KeepAlive renews it while the request runs.
	LeaseDefault = 30 * time.Second
	// leaseMin bounds the lease from below: renewals every third of it
	// must not flood the database.
	leaseMin = 300 * time.Millisecond
	// BodyBytesMax bounds a stored answer (seal's bound); Finish cuts a
	// longer one.
	BodyBytesMax = 64 << 10
)

// Config configures Records.
type Config struct {
	// SealKey (32 bytes, from the server secret) seals the stored
	// answers; nil (tests only) takes a key of this process, so that
	// stored answers do not survive a restart.
	SealKey []byte
	// Lease is how long a claim holds its key without a renewal (default
	// LeaseDefault, at least 300ms).
	Lease time.Duration
	Log   *slog.Logger
}

// Records keeps the idempotency records of one database. Its writes
// (claims, renewals, finishes, releases) share transactions among
// concurrent requests (store.GroupCommit): two per request otherwise, each
// a commit. It is safe for concurrent use.
type Records struct {
	db      *store.DB
	commits *store.GroupCommit
	box     *seal.Box
	lease   time.Duration
	now     func() time.Time
	node    string // this process: the owner prefix of its leases
	log     *slog.Logger
}

// New returns the records of db; now is the clock (leases and ages).
func New(db *store.DB, now func() time.Time, cfg Config) (*Records, error) {
	if now == nil {
		return nil, errors.New("idem: no clock")
	}
	key := cfg.SealKey
	if key == nil {
		key = make([]byte, 32)
		rand.Read(key)
	}
	box, err := seal.New(key)
	if err != nil {
		return nil, fmt.Errorf("idem: seal key: %w", err)
	}
	if cfg.Lease <= 0 {
		cfg.Lease = LeaseDefault
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Records{
		db: db, commits: store.NewGroupCommit(db), box: box, lease: max(cfg.Lease, leaseMin),
		now: now, node: randHex(8), log: cfg.Log,
	}, nil
}

// Lease is how long a claim holds its key without a renewal.
func (r *Records) Lease() time.Duration { return r.lease }

// Answer is a request's answer as stored for replay.
type Answer struct {
	Status int
	Body   string
}

// Begun is what Begin found: an answer to replay, or a claim (fresh, or
// taken over from an expired lease, with the operation OpID that the dead
// request started, if any).
type Begun struct {
	Replay *Answer
	Claim  *Claim
	OpID   string
}

// ErrKeyInUse: a live request holds the key's lease.
func ErrKeyInUse() error {
	return apperr.E(apperr.IdempotencyKeyInUse, "a request with this Idempotency-Key is in progress").JA("同じ Idempotency-Key のリクエストを処理中です")
}

// ErrKeyReused: the key was used for a different request.
func ErrKeyReused() error {
	return apperr.E(apperr.IdempotencyKeyReused, "this Idempotency-Key was used for a different request").JA("この Idempotency-Key は別のリクエストに使われています")
}

// Begin claims the record of (scope, key) for a request whose content
// hashes to hash, or returns the answer stored for an earlier identical
// request. A different request with the key is ErrKeyReused, a live claim
// on it ErrKeyInUse.
func (r *Records) Begin(ctx context.Context, scope, key, hash string) (Begun, error) {
	claim := &Claim{Scope: scope, Key: key, Owner: r.node + "/" + randHex(8)}
	var out Begun
	var outcome error
	var sealedBody string
	// The refusals below write nothing, so they are reported through the
	// closure and do not split the batch (store.GroupCommit): a burst of
	// retries with one key stays one transaction.
	err := r.commits.Do(ctx, func(ctx context.Context, tx *store.Tx) error {
		out, outcome, sealedBody = Begun{}, nil, ""
		now := r.now()
		res, err := tx.Exec(ctx, `INSERT INTO idem_records (scope, idem_key, request_hash, state, status, body, created_at, lease_owner, lease_until)
			VALUES (?, ?, ?, 'running', 0, '', ?, ?, ?) ON CONFLICT (scope, idem_key) DO NOTHING`,
			scope, key, hash, now.UnixMilli(), claim.Owner, now.Add(r.lease).UnixMilli())
		if err != nil {
			return fmt.Errorf("idem: claim: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			out.Claim = claim
			return nil
		}
		var gotHash, state, body, owner, opID string
		var status, sealed, leaseUntil int64
		err = tx.QueryRow(ctx, `SELECT request_hash, state, status, body, sealed, lease_owner, lease_until, op_id
			FROM idem_records WHERE scope = ? AND idem_key = ?`, scope, key).Scan(
			&gotHash, &state, &status, &body, &sealed, &owner, &leaseUntil, &opID)
		if err != nil { // ErrNoRows: deleted meanwhile; the client retries
			outcome = ErrKeyInUse()
			return nil
		}
		switch {
		case !hashEqual(gotHash, hash):
			outcome = ErrKeyReused()
		case state == "done" && sealed == 1:
			out.Replay, sealedBody = &Answer{Status: int(status)}, body
		case state == "done":
			out.Replay = &Answer{Status: int(status), Body: body} // before sealing (no secrets)
		case leaseUntil > now.UnixMilli():
			outcome = ErrKeyInUse()
		default:
			// The lease ran out: its request is dead (or far too slow).
			// Take the record over, unless another retry just did.
			res, err := tx.Exec(ctx, `UPDATE idem_records SET lease_owner = ?, lease_until = ?
				WHERE scope = ? AND idem_key = ? AND state = 'running' AND lease_owner = ? AND lease_until = ?`,
				claim.Owner, now.Add(r.lease).UnixMilli(), scope, key, owner, leaseUntil)
			if err != nil {
				return fmt.Errorf("idem: take over: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				outcome = ErrKeyInUse()
				return nil
			}
			out.Claim, out.OpID = claim, opID
		}
		return nil
	})
	if err != nil {
		return Begun{}, err
	}
	if outcome != nil {
		return Begun{}, outcome
	}
	if out.Replay != nil && sealedBody != "" {
		plain, err := r.box.Open(sealedBody, sealAAD(scope, key))
		if err != nil {
			return Begun{}, fmt.Errorf("idem: open stored answer: %w", err)
		}
		out.Replay.Body = string(plain)
	}
	return out, nil
}

// Finish ends c with the request's answer: sealed and stored for replay
// when the request started an operation (Bind), else the record is
// deleted (a refusal before the start is not replayed: a retry runs
// anew). The answer is cut to BodyBytesMax.
func (r *Records) Finish(ctx context.Context, c *Claim, a Answer) error {
	if len(a.Body) > BodyBytesMax {
		a.Body = a.Body[:BodyBytesMax]
	}
	sealed, err := r.box.Seal([]byte(a.Body), sealAAD(c.Scope, c.Key))
	if err != nil {
		return fmt.Errorf("idem: seal answer: %w", err)
	}
	return r.end(ctx, c, `UPDATE idem_records SET state = 'done', status = ?, body = ?, sealed = 1, lease_owner = '', lease_until = 0
		WHERE scope = ? AND idem_key = ? AND state = 'running' AND lease_owner = ? AND op_id <> ''`,
		a.Status, sealed, c.Scope, c.Key, c.Owner)
}

// Release ends c without an answer (its outcome is unknown: a 5xx, a
// crash, a panic). A record naming an operation stays, with the lease
// dropped, so that a retry takes it over at once and recovers the
// operation; one naming none is deleted.
func (r *Records) Release(ctx context.Context, c *Claim) error {
	return r.end(ctx, c, `UPDATE idem_records SET lease_until = 0
		WHERE scope = ? AND idem_key = ? AND state = 'running' AND lease_owner = ? AND op_id <> ''`,
		c.Scope, c.Key, c.Owner)
}

// end runs the update of a claim that bound an operation, or deletes the
// claim's record when it bound none. A claim whose lease was taken over
// changes nothing.
func (r *Records) end(ctx context.Context, c *Claim, update string, args ...any) error {
	return r.commits.Do(ctx, func(ctx context.Context, tx *store.Tx) error {
		res, err := tx.Exec(ctx, update, args...)
		if err != nil {
			return fmt.Errorf("idem: end claim: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		_, err = tx.Exec(ctx, `DELETE FROM idem_records WHERE scope = ? AND idem_key = ? AND state = 'running' AND lease_owner = ? AND op_id = ''`,
			c.Scope, c.Key, c.Owner)
		if err != nil {
			return fmt.Errorf("idem: release claim: %w", err)
		}
		return nil
	})
}

// Renew extends c's lease by a full lease from now, if c still holds it.
func (r *Records) Renew(ctx context.Context, c *Claim) error {
	return r.commits.Do(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE idem_records SET lease_until = ?
			WHERE scope = ? AND idem_key = ? AND state = 'running' AND lease_owner = ?`,
			r.now().Add(r.lease).UnixMilli(), c.Scope, c.Key, c.Owner)
		if err != nil {
			return fmt.Errorf("idem: renew lease: %w", err)
		}
		return nil
	})
}

// KeepAlive renews c's lease every third of the lease while its request
// runs; the returned func stops it (and may be called twice).
func (r *Records) KeepAlive(c *Claim) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(r.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if err := r.Renew(context.Background(), c); err != nil {
				r.log.Warn("idempotency: renew lease", "err", err)
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

// Prune forgets the keys older than TTL at now; the server calls it
// periodically. It returns how many were removed.
func Prune(ctx context.Context, db *store.DB, now time.Time) (int64, error) {
	var n int64
	err := db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM idem_records WHERE created_at < ?`, now.Add(-TTL).UnixMilli())
		if err != nil {
			return fmt.Errorf("idem: prune: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// sealAAD binds a stored body to its record (it names the table the
// records were first kept in, so that answers sealed then still open).
func sealAAD(scope, key string) []byte { return []byte("api_idempotency\n" + scope + "\n" + key) }

func hashEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
