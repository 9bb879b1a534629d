package redteam

import (
	"context"
	"fmt"
)

func init() {
	register(Scenario{
		Name: "money/bad-and-overflowing-amounts", Incident: "money invariants",
		Attack: "top up and send with zero, negative, fractional, string and overflowing amounts, and past the per-top-up limit",
		Run: func(ctx context.Context, t *Target) (Outcome, string, error) {
			u, err := t.NewUser(ctx, "amounts")
			if err != nil {
				return failed(err)
			}
			card, err := u.ActiveCard(ctx)
			if err != nil {
				return failed(err)
			}
			src := fmt.Sprintf(`{"type":"card","card_id":%q}`, card)
			malformed := []string{"0", "-1", "-9223372036854775808", "1.5", "9223372036854775808", "99999999999999999999999", `"1000"`, "null", "1e400"}
			var got []string
			for _, amt := range malformed {
				for _, req := range []struct{ path, body string }{
					{"/api/v1/topups", `{"source":` + src + `,"amount":` + amt + `}`},
					{"/api/v1/transfers", fmt.Sprintf(`{"to_email":%q,"amount":%s}`, t.Address("payee"), amt)},
				} {
					r, err := u.Do(ctx, "POST", req.path, Raw(req.body), u.Key())
					if err != nil {
						return failed(err)
					}
					if r.Status != 400 {
						return breached("POST %s with amount %s answered %s, want 400", req.path, amt, r)
					}
				}
				got = append(got, amt)
			}
			over, err := u.Do(ctx, "POST", "/api/v1/topups", Raw(`{"source":`+src+`,"amount":1000001}`), u.Key())
			if err != nil {
				return failed(err)
			}
			if over.Status < 400 {
				return breached("a top-up of 1,000,001 JPY (over one top-up's limit) answered %s %q", over, over.Str("status"))
			}
			money, lite, err := u.Balance(ctx)
			if err != nil {
				return failed(err)
			}
			if money != 0 || lite != 0 {
				return breached("after refused amounts the wallet holds %d money, %d money lite", money, lite)
			}
			return defended("amounts %v answered 400 on top-ups and transfers; over the limit %s; wallet unchanged", got, over)
		},
	})
}
