package httpapi

import (
	"testing"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestP2PFanOutHoldCannotBeWarmedUp: the mule fan-out rule holds a
// transfer to a sixth new person within an hour, and an attempt that did
// not deliver money — one held, or one declined for want of funds — does
// not make its payee "paid before" (an outside review found both ways
// around the hold: resending the held transfer with a new
// Idempotency-Key, and warming six payees up with transfers too large to
// go through). Over HTTP on both databases.
func TestP2PFanOutHoldCannotBeWarmedUp(t *testing.T) {
	storetest.Each(t, opsRiskSets, func(t *testing.T, db *store.DB) {
		e, _ := newOpsFundEnvOpts(t, db, envOpts{risk: true})
		send := func(a *agent, to string, amount int64) resp {
			t.Helper()
			return a.do("POST", "/api/v1/transfers", map[string]any{"to_email": to, "amount": amount})
		}
		people := func(n int) []string {
			out := make([]string, n)
			for i := range out {
				_, _, out[i] = e.user(true)
			}
			return out
		}

		t.Run("the held transfer sent again", func(t *testing.T) {
			mule, uid, _ := e.user(true)
			e.fund(uid, 50000, 0)
			to := people(6)
			for _, p := range to[:5] {
				send(mule, p, 1000).want(t, 201)
			}
			if r := send(mule, to[5], 1000).want(t, 202); r.str("status") != "held" {
				t.Fatalf("the sixth new person: %s", r.raw)
			}
			if r := send(mule, to[5], 1000); r.status != 202 || r.str("status") != "held" {
				t.Fatalf("the same transfer again with a new key: %d %s, want held too", r.status, r.raw)
			}
		})

		t.Run("payees warmed up by declined transfers", func(t *testing.T) {
			mule, uid, _ := e.user(true)
			e.fund(uid, 15000, 0)
			to := people(6)
			for _, p := range to {
				if r := send(mule, p, 900000); r.str("status") == "succeeded" {
					t.Fatalf("a transfer above the balance: %s", r.raw)
				}
			}
			// Six new people tried within the hour: every transfer that
			// would now reach one of them is held — the warm-up gained
			// nothing.
			for _, p := range to {
				if r := send(mule, p, 1000); r.status != 202 || r.str("status") != "held" {
					t.Fatalf("a transfer to a person only tried before: %d %s, want held", r.status, r.raw)
				}
			}
		})
	})
}
