package redteam

import (
	"context"
	"sync"
	"time"
)

func init() {
	register(Scenario{
		Name: "incident-response/compensation-paid-once", Incident: "incident response", Operator: true,
		Attack: "pay a victim's compensation twice: its requester approves it, then two approvals race, and the payment job runs on",
		Run:    runCompensation,
	})
}

// compensationAmount is what the scenario pays its victim (yen);
// compensationWait bounds the wait for its payment: the payment job runs
// every 5 s, so a payment it repeats shows well within it.
const (
	compensationAmount = 1234
	compensationWait   = 15 * time.Second
)

func runCompensation(ctx context.Context, t *Target) (Outcome, string, error) {
	crew, err := t.Crew(ctx)
	if err != nil {
		return failed(err)
	}
	victim, err := t.NewUser(ctx, "compensated")
	if err != nil {
		return failed(err)
	}
	id, err := opsUserID(ctx, crew.Admin, victim.Email)
	if err != nil {
		return failed(err)
	}
	r, err := crew.Admin.Post(ctx, "/ops/api/compensations", map[string]any{"reason": "redteam: card top-ups after a reset",
		"items": []map[string]any{{"user_id": id, "amount": compensationAmount}}})
	if err != nil {
		return failed(err)
	}
	if err := want(r, "POST /ops/api/compensations", 202); err != nil {
		return failed(err)
	}
	comp := r.Str("compensation_id")
	path := "/ops/api/compensations/" + comp + "/approve"
	self, err := crew.Admin.Post(ctx, path, map[string]any{"reason": "redteam: my own request"})
	if err != nil {
		return failed(err)
	}
	if self.Status < 300 {
		return breached("the requester approved its own compensation: %s", self)
	}
	// Two approvals at once (a double click, two tabs).
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Go(func() {
			if r, err := crew.Risk.Post(ctx, path, map[string]any{"reason": "redteam: victims confirmed"}); err == nil {
				codes[i] = r.Status
			}
		})
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		if c >= 200 && c < 300 {
			ok++
		}
	}
	if ok == 0 {
		return failed(errorf("neither approval of the compensation went through: %v", codes))
	}
	// Paid by the approval or by the job (which runs every few seconds,
	// and would pay again what a payer without its idempotency key lost):
	// wait until the compensation is marked paid, or a second payment
	// shows, within compensationWait.
	var money int64
	status := ""
	deadline := time.Now().Add(compensationWait)
	for time.Now().Before(deadline) {
		if money, _, err = victim.Balance(ctx); err != nil {
			return failed(err)
		}
		if money > compensationAmount {
			return breached("the victim holds %d yen after one compensation of %d (approvals answered %v)", money, compensationAmount, codes)
		}
		st, err := crew.Admin.Get(ctx, "/ops/api/compensations/"+comp)
		if err != nil {
			return failed(err)
		}
		if status = st.Str("status"); status == "paid" && money == compensationAmount {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if money == 0 {
		return failed(errorf("the approved compensation was not paid within %v", compensationWait))
	}
	// Long enough for a second payment by the approval's own payment
	// racing the job to show.
	time.Sleep(time.Second)
	if money, _, err = victim.Balance(ctx); err != nil {
		return failed(err)
	}
	if money != compensationAmount {
		return breached("the victim holds %d yen after one compensation of %d (approvals answered %v)", money, compensationAmount, codes)
	}
	return defended("own approval refused (%d); approvals at once answered %v; paid %d yen once (compensation %s)", self.Status, codes, money, status)
}
