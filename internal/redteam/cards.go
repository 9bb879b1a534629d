package redteam

import (
	"context"
	"fmt"
	"net/url"
)

// The sandbox acquirer's test cards (API.md "Demo mode").
const (
	cardFrictionless = "4242424242424242"
	cardChallenge    = "4000000000003220"
	cardBadCVC       = "4000000000000127" // declined: incorrect_cvc
	// cardholderPhone is where the sandbox issuer texts its 3-D Secure
	// one-time codes.
	cardholderPhone = "+819000000009"
)

// frictionlessCard is a fresh card number of the sandbox's frictionless
// Visa family (424242…, any Luhn-valid 16 digits): one card may serve
// only two accounts, so each scenario takes its own.
func (t *Target) frictionlessCard() string {
	n := t.seq.Add(1)
	return luhnComplete(fmt.Sprintf("424242%09d", n%1_000_000_000))
}

// luhnComplete appends the Luhn check digit to 15 digits.
func luhnComplete(digits string) string {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return digits + string(rune('0'+(10-sum%10)%10))
}

// CardToken tokenises a card at the sandbox acquirer, as its card-entry
// form would.
func (a *Agent) CardToken(ctx context.Context, number, cvc string) (string, error) {
	r, err := a.Do(ctx, "POST", "/sandbox/card/tokens", map[string]any{"number": number, "exp_month": 12, "exp_year": 2031, "cvc": cvc})
	if err != nil {
		return "", err
	}
	if err := want(r, "card tokenisation", 200, 201); err != nil {
		return "", err
	}
	tok := r.Str("card_token")
	if tok == "" {
		return "", fmt.Errorf("card tokenisation gave no card_token")
	}
	return tok, nil
}

// AddCard registers a card with a fresh Idempotency-Key.
func (a *Agent) AddCard(ctx context.Context, token string) (*Resp, error) {
	return a.Post(ctx, "/api/v1/cards", map[string]string{"card_token": token})
}

// GuessCard registers number with the security code cvc, as a carder
// does: tokenised at the acquirer, then added to the account.
func (a *Agent) GuessCard(ctx context.Context, number, cvc string) (*Resp, error) {
	tok, err := a.CardToken(ctx, number, cvc)
	if err != nil {
		return nil, err
	}
	return a.AddCard(ctx, tok)
}

// refusedBeforeIssuer reports whether saifu refused a card registration
// before asking the issuer: an attempt limit (429) or the risk rules
// (403 risk_declined).
func refusedBeforeIssuer(r *Resp) bool { return r.Status == 429 || r.Code() == "risk_declined" }

// wrongCode reports whether a card registration reached the issuer and
// was declined for its security code. A guessing scenario counts only
// these as guesses that got through: any other answer (a 500 above all)
// is no evidence of a missing limit.
func wrongCode(r *Resp) bool {
	return r.Status == 201 && r.Str("status") == "declined" && r.Str("decline_code") == "incorrect_cvc"
}

// nextAction is the next_action of a money-movement object.
func nextAction(r *Resp) (typ, u string) {
	na, _ := r.JSON()["next_action"].(map[string]any)
	typ, _ = na["type"].(string)
	u, _ = na["url"].(string)
	return typ, u
}

// PassChallenge passes a 3-D Secure challenge as the cardholder (the
// code the issuer texted when the challenge began: the newest SMS to the
// cardholder's phone) and follows the issuer's redirect back to saifu.
func (a *Agent) PassChallenge(ctx context.Context, challengeURL string) (*Resp, error) {
	t := a.t
	r, err := a.Get(ctx, challengeURL)
	if err != nil {
		return nil, err
	}
	if err := want(r, "3-D Secure challenge page", 200); err != nil {
		return nil, err
	}
	code, err := t.WaitCode(ctx, cardholderPhone, 0)
	if err != nil {
		return nil, err
	}
	r, err = a.Form(ctx, challengeURL, url.Values{"otp": {code}, "action": {"verify"}})
	if err != nil {
		return nil, err
	}
	if err := want(r, "3-D Secure challenge", 302, 303); err != nil {
		return nil, err
	}
	return a.Get(ctx, r.Location)
}

// ActiveCard registers a fresh frictionless card from a privileged
// session and returns its id.
func (a *Agent) ActiveCard(ctx context.Context) (string, error) {
	if err := a.Reauth(ctx); err != nil {
		return "", err
	}
	tok, err := a.CardToken(ctx, a.t.frictionlessCard(), "123")
	if err != nil {
		return "", err
	}
	r, err := a.AddCard(ctx, tok)
	if err != nil {
		return "", err
	}
	if err := want(r, "card registration", 200, 201); err != nil {
		return "", err
	}
	id := r.Str("card_id")
	if typ, u := nextAction(r); typ == "3ds_challenge" {
		if r, err = a.PassChallenge(ctx, u); err != nil {
			return "", err
		}
	}
	if r.Str("status") != "active" {
		return "", fmt.Errorf("card registration: status %q, want active: %.200s", r.Str("status"), r.Body)
	}
	return id, nil
}

// CardTopup tops up amount of money lite from a card, passing a 3-D
// Secure challenge if one is asked.
func (a *Agent) CardTopup(ctx context.Context, cardID string, amount int64) error {
	r, err := a.Post(ctx, "/api/v1/topups", map[string]any{"source": map[string]string{"type": "card", "card_id": cardID}, "amount": amount})
	if err != nil {
		return err
	}
	if err := want(r, "card top-up", 200, 201); err != nil {
		return err
	}
	if typ, u := nextAction(r); typ == "3ds_challenge" {
		if r, err = a.PassChallenge(ctx, u); err != nil {
			return err
		}
	}
	if s := r.Str("status"); s != "succeeded" {
		return fmt.Errorf("card top-up: status %q, want succeeded: %.200s", s, r.Body)
	}
	return nil
}

// Balance reads the wallet: money and money lite.
func (a *Agent) Balance(ctx context.Context) (money, lite int64, err error) {
	r, err := a.Get(ctx, "/api/v1/wallet")
	if err != nil {
		return 0, 0, err
	}
	if err := want(r, "GET /api/v1/wallet", 200); err != nil {
		return 0, 0, err
	}
	money, _ = r.Num("money")
	lite, _ = r.Num("money_lite")
	return money, lite, nil
}
