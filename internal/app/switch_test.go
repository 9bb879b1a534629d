package app

import (
	"context"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestSwitchAcrossNodes: two apps — two nodes, each with its own pool on
// one database — and a switch turned off on one: the other's wallet, the
// services' shared controls, refuses within a second, and takes it back
// within a second when it is on again.
func TestSwitchAcrossNodes(t *testing.T) {
	storetest.Each(t, Migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dsn := db.Path
		if db.Dialect == store.Postgres {
			dsn = db.URL
		}
		other, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		nodes := make([]*App, 2)
		for i, d := range []*store.DB{db, other} {
			c := testConfig(t, d)
			c.Demo = false
			nodes[i], err = New(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			defer nodes[i].Close()
			if nodes[i].Wallet.Controls() != nodes[i].Controls {
				t.Fatal("the wallet checks controls of its own, not the node's watched ones")
			}
			if _, ok := nodes[i].Controls.SnapshotVersion(); !ok {
				t.Fatal("New returned before the switches' snapshot was loaded")
			}
		}
		a, b := nodes[0], nodes[1]
		for _, on := range []bool{false, true} {
			if err := a.Controls.SetCapability(ctx, "operator:test", ops.CapPayment, on, "test"); err != nil {
				t.Fatal(err)
			}
			want := apperr.Code("")
			if !on {
				want = apperr.CapabilityDisabled
			}
			start := time.Now()
			for {
				err := b.Wallet.CheckCapability(ctx, ops.CapPayment)
				got := apperr.Code("")
				if err != nil {
					got = apperr.CodeOf(err)
				}
				if got == want {
					t.Logf("on=%v: node B after %v", on, time.Since(start))
					break
				}
				if time.Since(start) > time.Second {
					t.Fatalf("on=%v: node B's wallet still %v after 1 s, want %q", on, err, want)
				}
				time.Sleep(time.Millisecond)
			}
		}
	})
}
