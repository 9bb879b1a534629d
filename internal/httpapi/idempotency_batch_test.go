package httpapi

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// TestIdempotencyBatch claims, finishes and replays many keys at once (so
// that they share transactions) on both databases: every key is claimed
// exactly once, duplicates inside a batch see the claim before them, and
// a failing operation fails only itself.
func TestIdempotencyBatch(t *testing.T) {
	storetest.Each(t, []store.Migrations{ops.Migrations, wallet.Migrations}, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const keys, dupes = 50, 3
		type outcome struct {
			key    int
			stored *storedResponse
			claim  *idem.Claim
			err    error
		}
		svc := newIdemService(db, nil, 0, nil)
		claimOf := func(key string) *idem.Claim {
			return &idem.Claim{Scope: "user:batch", Key: key, Owner: svc.node + "/" + randHex(8)}
		}
		out := make(chan outcome, keys*dupes)
		var wg sync.WaitGroup
		for k := range keys {
			for range dupes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := claimOf(fmt.Sprintf("k%d", k))
					got, err := svc.begin(ctx, c, "hash")
					out <- outcome{k, got.replay, c, err}
				}()
			}
		}
		// A failing operation among them.
		wg.Add(1)
		var failErr error
		go func() {
			defer wg.Done()
			failErr = idemBatcherOf(db).do(ctx, func(ctx context.Context, tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO no_such_table (x) VALUES (1)`)
				return err
			})
		}()
		wg.Wait()
		close(out)
		claimed := make([]int, keys)
		claims := make([]*idem.Claim, keys)
		for o := range out {
			switch {
			case o.err == nil && o.stored == nil:
				claimed[o.key]++
				claims[o.key] = o.claim
			case apperr.CodeOf(o.err) == apperr.IdempotencyKeyInUse:
			default:
				t.Errorf("key %d: stored %v, err %v", o.key, o.stored, o.err)
			}
		}
		for k, n := range claimed {
			if n != 1 {
				t.Errorf("key k%d claimed %d times, want 1", k, n)
			}
		}
		if failErr == nil {
			t.Error("the failing operation reported no error")
		}

		// Each started an operation; finish them all at once, then every
		// key replays its response.
		for k := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := db.Write(ctx, func(tx *store.Tx) error { return claims[k].Bind(ctx, tx, "test", fmt.Sprintf("op%d", k)) }); err != nil {
					t.Error(err)
				}
				if err := svc.settle(ctx, claims[k], 201, fmt.Sprintf(`{"k":%d}`, k)); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		tests := []struct {
			name, key, hash string
			wantBody        string
			wantCode        apperr.Code
		}{
			{"replay", "k7", "hash", `{"k":7}`, ""},
			{"other request, same key", "k7", "other", "", apperr.IdempotencyKeyReused},
			{"new key is claimed", "fresh", "hash", "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := svc.begin(ctx, claimOf(tt.key), tt.hash)
				st := got.replay
				if apperr.CodeOf(err) != tt.wantCode && !(tt.wantCode == "" && err == nil) {
					t.Fatalf("err %v, want code %q", err, tt.wantCode)
				}
				switch {
				case tt.wantBody != "" && (st == nil || st.body != tt.wantBody || st.status != 201):
					t.Fatalf("stored %+v, want 201 %s", st, tt.wantBody)
				case tt.wantBody == "" && st != nil:
					t.Fatalf("stored %+v, want a fresh claim", st)
				}
			})
		}
		// A claim that started nothing leaves no record when it settles.
		fresh := claimOf("fresh2")
		if _, err := svc.begin(ctx, fresh, "hash"); err != nil {
			t.Fatal(err)
		}
		if err := svc.settle(ctx, fresh, 403, `{"error":{}}`); err != nil {
			t.Fatal(err)
		}
		if got, err := svc.begin(ctx, claimOf("fresh2"), "hash"); err != nil || got.replay != nil {
			t.Fatalf("after a refusal: %+v %v, want a fresh claim", got, err)
		}
		if errors.Is(failErr, context.Canceled) {
			t.Fatal("batch used a cancelled context")
		}
	})
}
