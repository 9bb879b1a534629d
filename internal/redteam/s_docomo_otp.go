package redteam

import (
	"context"
	"net/url"
	"strings"
)

func init() {
	register(Scenario{
		Name: "docomo-koza/link-without-bank-otp", Incident: "docomo-koza 2020",
		Attack: "with the holder's online-banking login and password (stolen), skip or guess the bank's one-time code and approve the link",
		Run:    runLinkWithoutOTP,
	})
}

func runLinkWithoutOTP(ctx context.Context, t *Target) (Outcome, string, error) {
	f := bankFixtures[0]
	u, err := t.NewUser(ctx, "linker")
	if err != nil {
		return failed(err)
	}
	if err := u.KYC(ctx, f.Holder); err != nil { // the attacker opened the wallet in the victim's name
		return failed(err)
	}
	r, err := u.StartLink(ctx, f.Bank)
	if err != nil {
		return failed(err)
	}
	if err := want(r, "POST /api/v1/bank-links", 200, 201); err != nil {
		return failed(err)
	}
	link := r.Str("bank_link_id")
	page, err := u.Get(ctx, r.Str("authorize_url"))
	if err != nil {
		return failed(err)
	}
	flow, err := flowOf(page)
	if err != nil {
		return failed(err)
	}
	base := "/sandbox/bank/" + f.Bank
	page, err = u.Form(ctx, base+"/login", url.Values{"flow": {flow}, "login_id": {f.Login}, "password": {f.Password}})
	if err != nil {
		return failed(err)
	}
	if flow, err = flowOf(page); err != nil {
		return failed(err)
	}
	// Skip the code screen; then guess codes.
	var answers []string
	tries := []struct {
		path string
		form url.Values
	}{
		{base + "/consent", url.Values{"flow": {flow}, "decision": {"approve"}}},
		{base + "/otp", url.Values{"flow": {flow}, "otp": {"000000"}}},
		{base + "/otp", url.Values{"flow": {flow}, "otp": {""}}},
		{base + "/consent", url.Values{"flow": {flow}, "decision": {"approve"}}},
	}
	for _, try := range tries {
		p, err := u.Form(ctx, try.path, try.form)
		if err != nil {
			return failed(err)
		}
		answers = append(answers, p.String())
		if strings.Contains(string(p.Body), `value="approve"`) {
			return breached("POST %s without the right code reached the consent screen", try.path)
		}
		if p.Location != "" && strings.Contains(p.Location, "/api/v1/bank-links/callback") {
			cb, err := u.Get(ctx, p.Location)
			if err != nil {
				return failed(err)
			}
			if strings.Contains(string(cb.Body), `"status":"active"`) {
				return breached("the link became active without the bank's one-time code")
			}
		}
	}
	st, err := u.Get(ctx, "/api/v1/bank-links/"+link)
	if err != nil {
		return failed(err)
	}
	if st.Str("status") == "active" {
		return breached("the link is active without the bank's one-time code")
	}
	return defended("without the code the bank answered %v; the link stays %q", answers, st.Str("status"))
}
