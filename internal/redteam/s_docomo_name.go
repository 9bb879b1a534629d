package redteam

import (
	"context"
	"strings"
)

func init() {
	register(Scenario{
		Name: "docomo-koza/link-another-persons-account", Incident: "docomo-koza 2020",
		Attack: "a wallet verified as one person links another person's bank account through the bank's full consent (name mismatch)",
		Run: func(ctx context.Context, t *Target) (Outcome, string, error) {
			u, err := t.NewUser(ctx, "linker")
			if err != nil {
				return failed(err)
			}
			if err := u.KYC(ctx, "SATO JIRO"); err != nil {
				return failed(err)
			}
			f := bankFixtures[0]
			link, cb, err := u.Link(ctx, f)
			if err != nil {
				return failed(err)
			}
			if cb.Status < 300 || strings.Contains(string(cb.Body), `"status":"active"`) {
				u.Do(ctx, "DELETE", "/api/v1/bank-links/"+link, nil)
				return breached("SATO JIRO's wallet linked %s's account: %s", f.Holder, cb)
			}
			st, err := u.Get(ctx, "/api/v1/bank-links/"+link)
			if err != nil {
				return failed(err)
			}
			if st.Str("status") == "active" {
				return breached("the link is active despite the name mismatch")
			}
			return defended("the callback refused it (%s); the link is %q", cb, st.Str("status"))
		},
	})
}
