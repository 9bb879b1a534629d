package redteam

import (
	"context"
)

func init() {
	register(Scenario{
		Name: "7pay/takeover-card-without-3ds", Incident: "7pay 2019",
		Attack: "with the victim's password (no second factor enrolled, as at 7pay) log in from a new device, register a card and use it before the issuer's 3-D Secure challenge",
		Run:    runTakeoverCard,
	})
	register(Scenario{
		Name: "7pay/takeover-tops-up-from-card", Incident: "7pay 2019",
		Attack: "with the victim's password log in from a new device, re-authenticate with that password, and top up from the victim's registered card without 3-D Secure",
		Run:    runTakeoverTopup,
	})
}

func runTakeoverCard(ctx context.Context, t *Target) (Outcome, string, error) {
	victim, err := t.NewUser(ctx, "victim")
	if err != nil {
		return failed(err)
	}
	attacker := t.NewAgent("attacker")
	r, err := attacker.Login(ctx, victim.Email, victim.Password)
	if err != nil {
		return failed(err)
	}
	if attacker.Token = r.Str("session_token"); attacker.Token == "" {
		return failed(errorf("login with the stolen password gave no session: %s", r))
	}
	tok, err := attacker.CardToken(ctx, cardChallenge, "123")
	if err != nil {
		return failed(err)
	}
	r, err = attacker.AddCard(ctx, tok)
	if err != nil {
		return failed(err)
	}
	if r.Str("status") == "active" {
		return breached("a card the issuer challenges became active without 3-D Secure: %s", r)
	}
	typ, _ := nextAction(r)
	card := r.Str("card_id")
	if card == "" {
		return defended("card registration from the taken-over session was refused: %s", r)
	}
	if typ != "3ds_challenge" {
		return breached("card registration answered %s status %q without a 3-D Secure challenge", r, r.Str("status"))
	}
	// The card waits for the cardholder; it must not be usable meanwhile.
	topup, err := attacker.Post(ctx, "/api/v1/topups", map[string]any{"source": map[string]string{"type": "card", "card_id": card}, "amount": 3000})
	if err != nil {
		return failed(err)
	}
	if topup.Str("status") == "succeeded" {
		return breached("a top-up from the card still waiting for 3-D Secure succeeded")
	}
	return defended("the card waits for the issuer's challenge (%s %s); a top-up from it meanwhile: %s", r, r.Str("status"), topup)
}

func runTakeoverTopup(ctx context.Context, t *Target) (Outcome, string, error) {
	victim, err := t.NewUser(ctx, "victim")
	if err != nil {
		return failed(err)
	}
	card, err := victim.ActiveCard(ctx)
	if err != nil {
		return failed(err)
	}
	attacker := t.NewAgent("attacker")
	r, err := attacker.Login(ctx, victim.Email, victim.Password)
	if err != nil {
		return failed(err)
	}
	if attacker.Token = r.Str("session_token"); attacker.Token == "" {
		return failed(errorf("login with the stolen password gave no session: %s", r))
	}
	attacker.Password = victim.Password
	topup := func() (*Resp, error) {
		return attacker.Post(ctx, "/api/v1/topups", map[string]any{"source": map[string]string{"type": "card", "card_id": card}, "amount": 5000})
	}
	before, err := topup()
	if err != nil {
		return failed(err)
	}
	if before.Str("status") == "succeeded" {
		return breached("a fresh session from a new device charged the victim's card: %s succeeded", before)
	}
	if err := attacker.Reauth(ctx); err != nil {
		return failed(err)
	}
	after, err := topup()
	if err != nil {
		return failed(err)
	}
	if after.Str("status") == "succeeded" {
		return breached("after re-authenticating with the stolen password, a new device charged the victim's card without 3-D Secure")
	}
	typ, _ := nextAction(after)
	if after.Status < 300 && typ != "3ds_challenge" {
		return breached("the top-up answered %s status %q with next_action %q: neither refused nor sent to 3-D Secure", after, after.Str("status"), typ)
	}
	return defended("before re-authentication %s (%s); after it %s, next_action %q: only the cardholder can finish", before, before.Str("status"), after, typ)
}
