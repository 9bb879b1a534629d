package redteam

import (
	"context"
	"fmt"
	"net/url"
	"strings"
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
				{"bank_code": f.Bank, "account_number": f.Number, "pin": "1234", "birth_date": "1990-04-01"},
				{"bank_code": f.Bank, "branch": "001", "account": f.Number, "cash_card_pin": "1234", "holder_birth_date": "1990-04-01", "holder_name": f.Holder},
				{"account_number": f.Number, "pin": "1234", "birth_date": "1990-04-01"},
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
			// The bank's own screens, given what docomo-koza's banks took
			// in place of the holder's login, password and one-time code.
			answer, err := knowledgeAtBank(ctx, u, f)
			if err != nil {
				return failed(err)
			}
			answers = append(answers, answer)
			// Whatever was accepted only started the bank's own consent
			// flow (its login and one-time code): nothing is linked.
			list, err := u.Get(ctx, "/api/v1/bank-links")
			if err != nil {
				return failed(err)
			}
			items, _ := list.JSON()["items"].([]any)
			for _, it := range items {
				if m, _ := it.(map[string]any); m["status"] == "active" {
					unlink(ctx, u, m)
					return breached("an active link after posting the account number, PIN and birth date: %s", list)
				}
			}
			return defended("no link made: %s", fmt.Sprint(answers))
		},
	})
}

// knowledgeAtBank starts a link at f's bank and answers the bank's login
// screen with the account number, cash-card PIN and birth date alone;
// when that opens the consent screen, it approves and follows the
// callback. It returns what the bank answered.
func knowledgeAtBank(ctx context.Context, u *Agent, f bankFixture) (string, error) {
	r, err := u.StartLink(ctx, f.Bank)
	if err != nil {
		return "", err
	}
	if err := want(r, "POST /api/v1/bank-links", 200, 201); err != nil {
		return "", err
	}
	page, err := u.Get(ctx, r.Str("authorize_url"))
	if err != nil {
		return "", err
	}
	flow, err := flowOf(page)
	if err != nil {
		return "", err
	}
	base := "/sandbox/bank/" + f.Bank
	page, err = u.Form(ctx, base+"/login", url.Values{"flow": {flow},
		"account_number": {f.Number}, "pin": {"1234"}, "birth_date": {"1990-04-01"}})
	if err != nil {
		return "", err
	}
	if !strings.Contains(string(page.Body), `value="approve"`) {
		return "bank login: " + page.String(), nil
	}
	page, err = u.Form(ctx, base+"/consent", url.Values{"flow": {flow}, "decision": {"approve"}})
	if err != nil {
		return "", err
	}
	if page.Location == "" {
		return "bank consent: " + page.String(), nil
	}
	cb, err := u.Get(ctx, page.Location)
	if err != nil {
		return "", err
	}
	return "saifu's callback: " + cb.String(), nil
}

// unlink removes the bank link item m (a breach's, so that the fixture
// account is free for the scenarios after it).
func unlink(ctx context.Context, u *Agent, m map[string]any) {
	if id, _ := m["bank_link_id"].(string); id != "" {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
		defer cancel()
		u.Do(ctx, "DELETE", "/api/v1/bank-links/"+id, nil)
	}
}
