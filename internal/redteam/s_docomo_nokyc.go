package redteam

import "context"

func init() {
	register(Scenario{
		Name: "docomo-koza/link-without-kyc", Incident: "docomo-koza 2020",
		Attack: "open a wallet with no identity verification and link a bank account to it",
		Run: func(ctx context.Context, t *Target) (Outcome, string, error) {
			u, err := t.NewUser(ctx, "no-kyc")
			if err != nil {
				return failed(err)
			}
			r, err := u.StartLink(ctx, "0001")
			if err != nil {
				return failed(err)
			}
			if r.Status < 300 || r.Str("authorize_url") != "" {
				return breached("a wallet without KYC started a bank link: %s authorize_url %q", r, r.Str("authorize_url"))
			}
			if r.Code() != "kyc_required" {
				return breached("refused with %s, want 403 kyc_required", r)
			}
			return defended("refused: %s", r)
		},
	})
}
