package redteam

import (
	"context"
	"fmt"
)

// stuffingAttemptsMax bounds the flood: the defaults refuse an address's
// 61st login within ten minutes; a server that takes this many from one
// address has no usable throttle.
const stuffingAttemptsMax = 150

func init() {
	register(Scenario{
		Name: "sbi/credential-stuffing-flood", Incident: "SBI Securities 2020, list-type attacks",
		Attack:   fmt.Sprintf("replay a leaked list: up to %d logins from one address over many accounts (some existing), then the real user logs in from their own device", stuffingAttemptsMax),
		Requests: stuffingAttemptsMax + 60, Last: true,
		Run: runStuffing,
	})
}

func runStuffing(ctx context.Context, t *Target) (Outcome, string, error) {
	var existing []*Agent
	for range 2 {
		u, err := t.NewUser(ctx, "listed")
		if err != nil {
			return failed(err)
		}
		existing = append(existing, u)
	}
	bot := t.NewAgent("stuffer")
	throttledAt := 0
	for i := range stuffingAttemptsMax {
		addr := t.Address("leaked")
		if i%3 == 0 {
			addr = existing[(i/3)%len(existing)].Email
		}
		r, err := bot.Login(ctx, addr, fmt.Sprintf("leaked password %d", i))
		if err != nil {
			return failed(err)
		}
		if r.Status == 200 {
			return breached("a leaked-list password logged in as %s", addr)
		}
		if r.Status == 429 {
			throttledAt = i + 1
			break
		}
		// Only a wrong-password answer is a login the throttles let
		// through; anything else (a 500 above all) proves nothing.
		if r.Status != 401 {
			return failed(errorf("login %d answered %s, want 401 (wrong password) or 429 (throttled)", i+1, r))
		}
	}
	if throttledAt == 0 {
		return breached("%d logins from one address, none throttled", stuffingAttemptsMax)
	}
	// The real users, on the devices they signed up on, still get in.
	for _, u := range existing {
		r, err := u.Login(ctx, u.Email, u.Password)
		if err != nil {
			return failed(err)
		}
		if r.Status != 200 {
			return breached("after the flood the real user %s is locked out: %s", u.Email, r)
		}
	}
	return defended("the flood was throttled at attempt %d (429); the real users logged in from their own devices", throttledAt)
}
