package redteam

import "context"

func init() {
	register(Scenario{
		Name: "money/money-lite-sent-or-withdrawn", Incident: "money invariants",
		Attack: "turn card-funded money lite (prepaid, not cash) into cash: send it by P2P and withdraw it to a bank",
		Run:    runMoneyLite,
	})
}

func runMoneyLite(ctx context.Context, t *Target) (Outcome, string, error) {
	u, link, cleanup, err := t.LinkedUser(ctx, "launderer")
	if err != nil {
		return failed(err)
	}
	defer cleanup()
	card, err := u.ActiveCard(ctx)
	if err != nil {
		return failed(err)
	}
	if err := u.CardTopup(ctx, card, 2000); err != nil {
		return failed(err)
	}
	if err := u.bankTopup(ctx, link, 500); err != nil {
		return failed(err)
	}
	payee, err := t.NewUser(ctx, "payee")
	if err != nil {
		return failed(err)
	}
	if err := payee.KYC(ctx, "SATO JIRO"); err != nil { // a wallet that can receive
		return failed(err)
	}
	if err := u.Reauth(ctx); err != nil {
		return failed(err)
	}
	// 1000 is within money + money lite (2500), beyond money (500).
	p2p, err := u.Post(ctx, "/api/v1/transfers", map[string]any{"to_email": payee.Email, "amount": 1000})
	if err != nil {
		return failed(err)
	}
	w, err := u.Post(ctx, "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 1000})
	if err != nil {
		return failed(err)
	}
	if id := w.Str("withdrawal_id"); id != "" {
		defer u.Do(context.WithoutCancel(ctx), "DELETE", "/api/v1/withdrawals/"+id, nil)
	}
	// Refused for the money: insufficient_funds, or a transfer recorded
	// as declined (insufficient_funds); never for something else.
	refused := func(r *Resp) bool {
		return r.Code() == "insufficient_funds" || (r.Status < 300 && r.Str("status") == "declined")
	}
	switch {
	case p2p.Status < 300 && p2p.Str("status") != "declined":
		return breached("1000 sent by P2P from 500 of money and 2000 of money lite: %s %q", p2p, p2p.Str("status"))
	case w.Status < 300 && w.Str("status") != "declined":
		return breached("a withdrawal of 1000 from 500 of money and 2000 of money lite: %s %q", w, w.Str("status"))
	case !refused(p2p) || !refused(w):
		return failed(errorf("P2P %s %q, withdrawal %s %q: want both refused for insufficient funds (for the money lite, not for something else)", p2p, p2p.Str("status"), w, w.Str("status")))
	}
	money, lite, err := u.Balance(ctx)
	if err != nil {
		return failed(err)
	}
	if money != 500 || lite != 2000 {
		return breached("after the refusals the wallet holds %d money, %d money lite (want 500, 2000)", money, lite)
	}
	pm, pl, err := payee.Balance(ctx)
	if err != nil {
		return failed(err)
	}
	if pm != 0 || pl != 0 {
		return breached("the payee received %d money, %d money lite", pm, pl)
	}
	return defended("P2P %s %s and withdrawal %s %s; wallet still 500 money, 2000 money lite; the payee got nothing", p2p, p2p.Str("status"), w, w.Str("status"))
}
