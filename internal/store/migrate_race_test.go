package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestMigrateConcurrentFreshPostgres starts several nodes' migrations at
// once on a new PostgreSQL database: each must succeed (schema_migrations
// is created under the migrations' lock, not before it).
func TestMigrateConcurrentFreshPostgres(t *testing.T) {
	const nodes = 6
	for round := range 3 {
		dsn := storetest.PostgresURL(t)
		ctx := context.Background()
		dbs := make([]*store.DB, nodes)
		for i := range dbs {
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			dbs[i] = db
		}
		start := make(chan struct{})
		errs := make([]error, nodes)
		var wg sync.WaitGroup
		for i, db := range dbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = db.Migrate(ctx, testSet)
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: node %d: %v", round, i, err)
			}
		}
	}
}
