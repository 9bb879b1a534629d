package httpapi

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/funding"
)

// TestFundingNeedsPrivilegedSession: over HTTP, registering a card,
// starting a bank link and withdrawing answer 403 reauth_required once the
// session's privileged minutes are over (funding checks it:
// internal/funding/privilege_rules_test.go), and go through after
// POST /api/v1/reauth.
func TestFundingNeedsPrivilegedSession(t *testing.T) {
	eachFundEnv(t, funding.Limits{}, func(t *testing.T, e *fundEnv) {
		a, _ := e.user(t, "priv@example.com", "YAMADA Taro")
		link := e.linkBank(t, a)
		a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 10_000}).want(t, 201)
		calls := []struct {
			name, path string
			body       any
			wantOK     int
		}{
			{name: "add card", path: "/api/v1/cards", body: map[string]string{"card_token": e.cardToken(t, "4242424242424242")}, wantOK: 201},
			{name: "start bank link", path: "/api/v1/bank-links", body: map[string]string{"bank_code": "0001"}, wantOK: 201},
			{name: "withdraw", path: "/api/v1/withdrawals", body: map[string]any{"bank_link_id": link, "amount": 5_000}, wantOK: 202},
		}
		e.clock.Advance(6 * time.Minute)
		type answer struct {
			Status int
			Code   string
		}
		got, want := map[string]answer{}, map[string]answer{}
		for _, c := range calls {
			r := a.do("POST", c.path, c.body)
			got[c.name], want[c.name] = answer{r.status, r.code()}, answer{403, "reauth_required"}
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("unprivileged (-got +want):\n%s", diff)
		}
		a.do("POST", "/api/v1/reauth", map[string]string{"password": pwAlice}).want(t, 200)
		for _, c := range calls {
			a.do("POST", c.path, c.body).want(t, c.wantOK)
		}
	})
}
