package redteam

import (
	"context"
	"time"
)

// opsIdleWaitMax bounds the idle timeout the scenario waits out: a
// scenario runs for at most scenarioTimeout.
const opsIdleWaitMax = time.Minute

func init() {
	register(Scenario{
		Name: "netlogon/idle-operator-session-reuse", Incident: "Netlogon / telework 2020", Operator: true,
		Attack: "pick up an operator's console left open and unused (a telework laptop left unlocked, a shared machine) after its idle timeout, and use its session",
		Run:    runIdleOperatorSession,
	})
}

func runIdleOperatorSession(ctx context.Context, t *Target) (Outcome, string, error) {
	if t.opsIdle <= 0 || t.opsIdle > opsIdleWaitMax {
		return Skipped, "needs the target's operator idle timeout (--ops-session-idle, as the target was started with; at most 1m)", nil
	}
	crew, err := t.Crew(ctx)
	if err != nil {
		return failed(err)
	}
	// An operator of its own, so that the crew's sessions stay in use.
	o, err := invite(ctx, t, crew.Admin, "viewer")
	if err != nil {
		return failed(err)
	}
	left := t.NewAgent("console left open")
	left.Token = o.Session
	r, err := left.Get(ctx, "/ops/api/switches")
	if err != nil {
		return failed(err)
	}
	if err := want(r, "the operator's session in use", 200); err != nil {
		return failed(err)
	}
	idle := t.opsIdle + 1500*time.Millisecond
	select {
	case <-time.After(idle):
	case <-ctx.Done():
		return failed(ctx.Err())
	}
	r, err = left.Get(ctx, "/ops/api/switches")
	if err != nil {
		return failed(err)
	}
	switch {
	case r.Status < 300:
		return breached("an operator session unused for %s (the target's idle timeout: %s) still answered %s", idle.Round(100*time.Millisecond), t.opsIdle, r)
	case r.Status != 401:
		return failed(errorf("the idle session answered %s, want 401 unauthenticated", r))
	}
	// Ended for good: using it again does not bring it back.
	again, err := left.Get(ctx, "/ops/api/switches")
	if err != nil {
		return failed(err)
	}
	if again.Status != 401 {
		return breached("the ended session answered %s when used again", again)
	}
	return defended("the session answered 200 in use, then %s after %s unused (idle timeout %s), and %s again", r, idle.Round(100*time.Millisecond), t.opsIdle, again)
}
