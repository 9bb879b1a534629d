package redteam

import (
	"context"
	"fmt"
)

func init() {
	register(Scenario{
		Name: "docomo-koza/link-with-account-number-pin-birth-date", Incident: "docomo-koza 2020",
		Attack: "from a wallet verified in the victim's name, link the victim's bank account by posting its account number, cash-card PIN and the holder's birth date, as the banks of docomo-koza accepted",
		Run: func(ctx context.Context, t *Target) (Outcome, string, error) {
			u, err := t.NewUser(ctx, "knowledge-link")
			if err != nil {
				return failed(err)
			}
			f := bankFixtures[0]
			if err := u.KYC(ctx, f.Holder); err != nil {
				return failed(err)
			}
			if err := u.Reauth(ctx); err != nil {
				return failed(err)
			}
			// What docomo-koza's banks took as proof, in the shapes a
			// client might send it: beside the bank code, or instead of it.
			bodies := []map[string]any{
				{"bank_code": f.Bank, "account_number": "1234567", "pin": "1234", "birth_date": "1990-04-01"},
				{"bank_code": f.Bank, "branch": "001", "account": "1234567", "cash_card_pin": "1234", "holder_birth_date": "1990-04-01", "holder_name": f.Holder},
				{"account_number": "1234567", "pin": "1234", "birth_date": "1990-04-01"},
			}
			var answers []string
			for _, b := range bodies {
				r, err := u.Post(ctx, "/api/v1/bank-links", b)
				if err != nil {
					return failed(err)
				}
				answers = append(answers, r.String())
				if r.Status < 300 && r.Str("status") == "active" {
					return breached("a bank link was made active by knowledge factors alone: %s", r)
				}
				if r.Status < 300 && r.Str("authorize_url") == "" {
					return breached("accepted %v without sending the holder to the bank's own login: %s", b, r)
				}
			}
			// Whatever was accepted only started the bank's own consent
			// flow (its login and one-time code): nothing is linked.
			list, err := u.Get(ctx, "/api/v1/bank-links")
			if err != nil {
				return failed(err)
			}
			items, _ := list.JSON()["items"].([]any)
			for _, it := range items {
				if m, _ := it.(map[string]any); m["status"] == "active" {
					return breached("an active link after posting the account number, PIN and birth date: %s", list)
				}
			}
			return defended("no link made: %s", fmt.Sprint(answers))
		},
	})
}
