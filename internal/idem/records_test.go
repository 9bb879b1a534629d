package idem_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/seal"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/wallet"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var sets = []store.Migrations{ops.Migrations, idem.Migrations, wallet.Migrations}

// clock is a test clock, moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newRecords(t *testing.T, db *store.DB, c *clock, key []byte) *idem.Records {
	t.Helper()
	r, err := idem.New(db, c.now, idem.Config{SealKey: key, Lease: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// bind binds an operation to c, as a domain service does.
func bind(ctx context.Context, db *store.DB, c *idem.Claim, op string) error {
	return db.Write(ctx, func(tx *store.Tx) error { return c.Bind(ctx, tx, "test", op) })
}

// TestRecordsBatch claims, finishes and replays many keys at once (so
// that they share transactions) on both databases: every key is claimed
// exactly once, duplicates inside a batch see the claim before them.
func TestRecordsBatch(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const keys, dupes = 50, 3
		type outcome struct {
			key int
			got idem.Begun
			err error
		}
		recs := newRecords(t, db, &clock{t: time.Unix(1_700_000_000, 0)}, nil)
		out := make(chan outcome, keys*dupes)
		var wg sync.WaitGroup
		for k := range keys {
			for range dupes {
				wg.Go(func() {
					got, err := recs.Begin(ctx, "user:batch", fmt.Sprintf("k%d", k), "hash")
					out <- outcome{k, got, err}
				})
			}
		}
		wg.Wait()
		close(out)
		claimed := make([]int, keys)
		claims := make([]*idem.Claim, keys)
		for o := range out {
			switch {
			case o.err == nil && o.got.Claim != nil && o.got.Replay == nil:
				claimed[o.key]++
				claims[o.key] = o.got.Claim
			case apperr.CodeOf(o.err) == apperr.IdempotencyKeyInUse:
			default:
				t.Errorf("key %d: %+v, err %v", o.key, o.got, o.err)
			}
		}
		for k, n := range claimed {
			if n != 1 {
				t.Fatalf("key k%d claimed %d times, want 1", k, n)
			}
		}

		// Each started an operation; finish them all at once, then every
		// key replays its answer.
		for k := range keys {
			wg.Go(func() {
				if err := bind(ctx, db, claims[k], fmt.Sprintf("op%d", k)); err != nil {
					t.Error(err)
				}
				if err := recs.Finish(ctx, claims[k], idem.Answer{Status: 201, Body: fmt.Sprintf(`{"k":%d}`, k)}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		tests := []struct {
			name, key, hash string
			wantReplay      *idem.Answer
			wantClaim       bool
			wantCode        apperr.Code
		}{
			{"replay", "k7", "hash", &idem.Answer{Status: 201, Body: `{"k":7}`}, false, ""},
			{"other request, same key", "k7", "other", nil, false, apperr.IdempotencyKeyReused},
			{"new key is claimed", "fresh", "hash", nil, true, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := recs.Begin(ctx, "user:batch", tt.key, tt.hash)
				if (tt.wantCode == "" && err != nil) || (tt.wantCode != "" && apperr.CodeOf(err) != tt.wantCode) {
					t.Fatalf("err %v, want code %q", err, tt.wantCode)
				}
				if diff := cmp.Diff(got.Replay, tt.wantReplay); diff != "" {
					t.Errorf("replay (-got +want):\n%s", diff)
				}
				if (got.Claim != nil) != tt.wantClaim {
					t.Errorf("claim %+v, want one: %v", got.Claim, tt.wantClaim)
				}
			})
		}
		// A claim that started nothing leaves no record when it finishes.
		got, err := recs.Begin(ctx, "user:batch", "fresh2", "hash")
		if err != nil {
			t.Fatal(err)
		}
		if err := recs.Finish(ctx, got.Claim, idem.Answer{Status: 403, Body: `{"error":{}}`}); err != nil {
			t.Fatal(err)
		}
		if got, err := recs.Begin(ctx, "user:batch", "fresh2", "hash"); err != nil || got.Replay != nil || got.Claim == nil {
			t.Fatalf("after a refusal: %+v %v, want a fresh claim", got, err)
		}
	})
}

// TestRecordsLease moves the injected clock: a live lease keeps a retry
// out, an expired one is taken over with the operation the dead request
// bound, the dead request can then neither bind nor store an answer, a
// released claim is taken over at once, and Prune forgets records older
// than a day.
func TestRecordsLease(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Unix(1_700_000_000, 0)}
		recs := newRecords(t, db, c, nil)
		const scope, hash = "user:lease", "hash"
		begin := func(key string) (idem.Begun, error) { return recs.Begin(ctx, scope, key, hash) }

		first, err := begin("k")
		if err != nil {
			t.Fatal(err)
		}
		if err := bind(ctx, db, first.Claim, "op1"); err != nil {
			t.Fatal(err)
		}
		c.add(recs.Lease() - time.Millisecond)
		if _, err := begin("k"); apperr.CodeOf(err) != apperr.IdempotencyKeyInUse {
			t.Fatalf("within the lease: %v, want in use", err)
		}
		if err := recs.Renew(ctx, first.Claim); err != nil {
			t.Fatal(err)
		}
		c.add(recs.Lease() - time.Millisecond)
		if _, err := begin("k"); apperr.CodeOf(err) != apperr.IdempotencyKeyInUse {
			t.Fatalf("within the renewed lease: %v, want in use", err)
		}
		c.add(2 * time.Millisecond)
		retry, err := begin("k")
		if err != nil || retry.Claim == nil || retry.OpID != "op1" {
			t.Fatalf("after the lease: %+v %v, want a takeover naming op1", retry, err)
		}
		if err := bind(ctx, db, first.Claim, "op2"); !errors.Is(err, idem.ErrLeaseLost) {
			t.Fatalf("the dead request's bind: %v, want ErrLeaseLost", err)
		}
		if err := recs.Finish(ctx, first.Claim, idem.Answer{Status: 201, Body: "dead"}); err != nil {
			t.Fatal(err)
		}
		if err := recs.Finish(ctx, retry.Claim, idem.Answer{Status: 201, Body: "recovered"}); err != nil {
			t.Fatal(err)
		}
		if got, err := begin("k"); err != nil || got.Replay == nil || got.Replay.Body != "recovered" {
			t.Fatalf("replay: %+v %v, want the retry's answer", got, err)
		}

		// An unknown outcome keeps the operation, with the lease dropped.
		crashed, err := begin("k2")
		if err != nil {
			t.Fatal(err)
		}
		if err := bind(ctx, db, crashed.Claim, "op3"); err != nil {
			t.Fatal(err)
		}
		if err := recs.Release(ctx, crashed.Claim); err != nil {
			t.Fatal(err)
		}
		if got, err := begin("k2"); err != nil || got.OpID != "op3" {
			t.Fatalf("after a release: %+v %v, want a takeover naming op3", got, err)
		}

		c.add(idem.TTL + time.Millisecond)
		if _, err := begin("k3"); err != nil { // younger than a day
			t.Fatal(err)
		}
		n, err := idem.Prune(ctx, db, c.now())
		if err != nil || n != 2 {
			t.Fatalf("Prune = %d, %v; want the 2 records older than a day", n, err)
		}
	})
}

// walletBefore returns the wallet's migrations older than 020 (the move of
// the idempotency records into idem), as the previous release had them.
func walletBefore(t *testing.T) store.Migrations {
	t.Helper()
	old := fstest.MapFS{}
	err := fs.WalkDir(wallet.Migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Base(p) >= "020" {
			return err
		}
		b, err := fs.ReadFile(wallet.Migrations.FS, p)
		old[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return store.Migrations{Set: wallet.Migrations.Set, FS: old}
}

// TestRecordsSurviveTheMove: an answer stored and a request left running
// (with its operation) before the records moved out of the wallet's table
// are still replayed and recovered after the migration.
func TestRecordsSurviveTheMove(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			key := make([]byte, 32)
			c := &clock{t: time.Unix(1_700_000_000, 0)}
			db := storetest.Open(t, d, ops.Migrations, walletBefore(t))
			// The previous release's records: an answer sealed as it sealed
			// them, and a request left running with its operation bound.
			box, err := seal.New(key)
			if err != nil {
				t.Fatal(err)
			}
			sealed, err := box.Seal([]byte(`{"id":"op1"}`), []byte("api_idempotency\nuser:u1\ndone"))
			if err != nil {
				t.Fatal(err)
			}
			now := c.now().UnixMilli()
			if _, err := db.Exec(ctx, `INSERT INTO api_idempotency (scope, idem_key, request_hash, state, status, body, created_at, lease_owner, lease_until, op_kind, op_id, sealed)
				VALUES ('user:u1', 'done', 'h1', 'done', 201, ?, ?, '', 0, 'test', 'op1', 1),
				('user:u1', 'running', 'h2', 'running', 0, '', ?, 'old/1', ?, 'test', 'op2', 0)`,
				sealed, now, now, now+time.Second.Milliseconds()); err != nil {
				t.Fatal(err)
			}

			if err := db.Migrate(ctx, sets...); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE set_name = 'wallet' AND version = 20`).Scan(&n); err != nil || n != 1 {
				t.Fatalf("wallet 020 applied: %d %v", n, err)
			}
			recs := newRecords(t, db, c, key) // a new process, the same server secret
			got, err := recs.Begin(ctx, "user:u1", "done", "h1")
			if err != nil || got.Replay == nil || got.Replay.Body != `{"id":"op1"}` {
				t.Fatalf("stored answer after the move: %+v %v", got, err)
			}
			if _, err := recs.Begin(ctx, "user:u1", "running", "h2"); apperr.CodeOf(err) != apperr.IdempotencyKeyInUse {
				t.Fatalf("running record within its lease after the move: %v, want in use", err)
			}
			c.add(recs.Lease())
			if got, err := recs.Begin(ctx, "user:u1", "running", "h2"); err != nil || got.OpID != "op2" {
				t.Fatalf("running record after its lease: %+v %v, want a takeover naming op2", got, err)
			}
		})
	}
}
