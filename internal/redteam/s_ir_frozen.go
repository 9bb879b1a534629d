package redteam

import "context"

func init() {
	register(Scenario{
		Name: "incident-response/frozen-account-moves-no-money", Incident: "incident response", Operator: true, Merchant: true,
		Attack: "after support froze a taken-over account, keep using its session, log in again, and charge the payment code it showed before",
		Run:    runFrozen,
	})
}

func runFrozen(ctx context.Context, t *Target) (Outcome, string, error) {
	crew, err := t.Crew(ctx)
	if err != nil {
		return failed(err)
	}
	u, code, err := fundedCode(ctx, t)
	if err != nil {
		return failed(err)
	}
	id, err := opsUserID(ctx, crew.Admin, u.Email)
	if err != nil {
		return failed(err)
	}
	r, err := crew.Admin.Post(ctx, "/ops/api/users/"+id+"/freeze", map[string]any{"reason": "redteam: suspected takeover"})
	if err != nil {
		return failed(err)
	}
	if err := want(r, "the freeze", 200); err != nil {
		return failed(err)
	}
	me, err := u.Get(ctx, "/api/v1/me")
	if err != nil {
		return failed(err)
	}
	if me.Status < 300 {
		return breached("the frozen account's session still works: GET /api/v1/me %s", me)
	}
	charge, err := t.Merchant().Post(ctx, "/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": 500})
	if err != nil {
		return failed(err)
	}
	if charge.Status < 300 || charge.Str("status") == "succeeded" {
		return breached("the frozen account's payment code was charged: %s %q", charge, charge.Str("status"))
	}
	login, err := t.NewAgent("attacker").Login(ctx, u.Email, u.Password)
	if err != nil {
		return failed(err)
	}
	if login.Str("session_token") != "" || login.Status < 300 {
		return breached("the frozen account logged in again: %s", login)
	}
	page, err := crew.Admin.Get(ctx, "/ops/api/users/"+id)
	if err != nil {
		return failed(err)
	}
	bal, _ := page.JSON()["balances"].(map[string]any)
	if lite, _ := bal["money_lite"].(float64); lite != 1000 {
		return breached("the frozen account's money lite is %v (was 1000)", bal["money_lite"])
	}
	return defended("frozen: session %s, charge %s, login %s; money lite still 1000", me, charge, login)
}
