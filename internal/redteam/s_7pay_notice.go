package redteam

import "context"

// The amounts of the scenarios: below 1,000, so that the notice shows them
// as digits without a separator, and unlike any other amount of the run.
const (
	noticeTopup  = 987
	noticeCharge = 654
)

func init() {
	register(Scenario{
		Name: "7pay/card-top-up-without-notice", Incident: "7pay 2019",
		Attack: "charge the victim's registered card (a top-up) and hope the victim hears nothing of it, as 7pay's users learned of the charges from their card statements",
		Run:    runTopupNotice,
	})
	register(Scenario{
		Name: "7pay/payment-without-notice", Incident: "7pay 2019", Merchant: true,
		Attack: "spend the victim's balance at a merchant and hope the victim hears nothing of it",
		Run:    runPaymentNotice,
	})
}

// toldSoFar is what a's user had been told before a movement: the app's
// notices and the mails to the verified address.
func toldSoFar(ctx context.Context, t *Target, a *Agent) (map[string]bool, int, error) {
	seen, err := a.noticeIDs(ctx)
	if err != nil {
		return nil, 0, err
	}
	n, err := t.Count(ctx, a.Email)
	return seen, n, err
}

func runTopupNotice(ctx context.Context, t *Target) (Outcome, string, error) {
	u, err := t.NewUser(ctx, "charged")
	if err != nil {
		return failed(err)
	}
	card, err := u.ActiveCard(ctx)
	if err != nil {
		return failed(err)
	}
	seen, mails, err := toldSoFar(ctx, t, u)
	if err != nil {
		return failed(err)
	}
	if err := u.CardTopup(ctx, card, noticeTopup); err != nil {
		return failed(err)
	}
	return toldOf(ctx, t, u, seen, mails, noticeTopup, "the card top-up")
}

func runPaymentNotice(ctx context.Context, t *Target) (Outcome, string, error) {
	u, code, err := fundedCode(ctx, t)
	if err != nil {
		return failed(err)
	}
	seen, mails, err := toldSoFar(ctx, t, u)
	if err != nil {
		return failed(err)
	}
	r, err := t.Merchant().Post(ctx, "/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": noticeCharge})
	if err != nil {
		return failed(err)
	}
	if err := want(r, "the merchant's charge", 200, 201); err != nil {
		return failed(err)
	}
	if s := r.Str("status"); s != "succeeded" {
		return failed(errorf("the merchant's charge: status %q, want succeeded: %.200s", s, r.Body))
	}
	return toldOf(ctx, t, u, seen, mails, noticeCharge, "the payment")
}
