package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/sandbox"
)

// secondNode starts another saifu node on e's database: its own ledger
// committer, wallet and funding service behind its own HTTP server, with
// the same sandbox counterparts, as a second machine behind a load
// balancer would be. It returns the node's base URL.
func (e *fundEnv) secondNode(t *testing.T, lim funding.Limits) string {
	t.Helper()
	n := e.env.newNode(t, envOpts{funding: true, fundingLimits: lim})
	srv := httptest.NewServer(New(e.env.deps(n)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// parallelReturns is how many browsers (retries, tabs, a user's
// reloads) come back from one 3-D Secure challenge at once, split over
// the two nodes.
const parallelReturns = 16

// TestThreeDSReturnRaceAcrossNodes: parallel returns from one passed
// challenge, over two nodes on one database, complete the top-up once:
// one limit reservation, one ledger request, one final status that every
// return answers, one history line. Twice, so that the second top-up
// still fits the daily limit the first one used only once. On SQLite and
// PostgreSQL.
func TestThreeDSReturnRaceAcrossNodes(t *testing.T) {
	const amount = 100_000 // an unverified user's per-top-up limit; 300,000 a day
	eachFundEnv(t, funding.Limits{}, func(t *testing.T, e *fundEnv) {
		nodes := []string{e.srv.URL, e.secondNode(t, funding.Limits{})}
		ctx := context.Background()
		a, uid := e.user(t, "race3ds@example.com", "")
		card := a.do("POST", "/api/v1/cards", map[string]string{"card_token": e.cardToken(t, "4242424242424242")}).want(t, 201)
		for round := 1; round <= 2; round++ {
			top := a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "card", "card_id": card.str("card_id")}, "amount": amount}).want(t, 201)
			na, _ := top.body["next_action"].(map[string]any)
			if top.str("status") != "requires_action" || na == nil {
				t.Fatalf("round %d: top-up of %d must be challenged: %s", round, amount, top.raw)
			}
			// The cardholder passes the challenge; the issuer's redirect is
			// not followed: the test makes the returns itself.
			challengeURL := na["url"].(string)
			e.page(t, "GET", challengeURL, nil)
			p := e.page(t, "POST", challengeURL, url.Values{"otp": {e.phone.code(t, sandbox.CardholderPhone)}, "action": {"verify"}})
			back, err := url.Parse(p.location)
			if p.status != http.StatusSeeOther || err != nil {
				t.Fatalf("challenge: %d %q", p.status, p.location)
			}
			authID := back.Query().Get("auth_id")
			answers := make([]string, parallelReturns)
			var wg sync.WaitGroup
			for i := range parallelReturns {
				wg.Go(func() {
					res, err := http.Get(nodes[i%len(nodes)] + "/api/v1/3ds/return?auth_id=" + url.QueryEscape(authID))
					if err != nil {
						t.Error(err)
						return
					}
					defer res.Body.Close()
					var out struct{ Status string }
					json.NewDecoder(res.Body).Decode(&out)
					answers[i] = res.Status + " " + out.Status
				})
			}
			wg.Wait()
			// The winner answers succeeded; a loser waits for it at most
			// awaitTopupMax and then answers the top-up as it stands,
			// processing (on a loaded machine the capture can take that
			// long). Nothing ever answers declined or failed.
			succeeded := 0
			for i, got := range answers {
				switch got {
				case "200 OK succeeded":
					succeeded++
				case "200 OK processing":
				default:
					t.Errorf("round %d: return %d answered %q, want 200 succeeded (or processing while the winner finishes)", round, i, got)
				}
			}
			if succeeded == 0 {
				t.Errorf("round %d: no return answered succeeded: %q", round, answers)
			}
			id := top.str("topup_id")
			var status, decline string
			var transferID int64
			if err := e.db.QueryRow(ctx, `SELECT status, decline_code, transfer_id FROM funding_topups WHERE id = ?`, id).Scan(&status, &decline, &transferID); err != nil {
				t.Fatal(err)
			}
			if status != funding.StatusSucceeded || transferID == 0 {
				t.Errorf("round %d: top-up %s %s transfer %d, want succeeded with its transfer", round, status, decline, transferID)
			}
			var requests, history int
			e.db.QueryRow(ctx, `SELECT COUNT(*) FROM ledger_requests WHERE scope = 'funding' AND idem_key = ?`, "topup:"+id).Scan(&requests)
			e.db.QueryRow(ctx, `SELECT COUNT(*) FROM wallet_transactions WHERE ref_id = ?`, id).Scan(&history)
			if requests != 1 || history != 1 {
				t.Errorf("round %d: %d ledger requests, %d history lines; want 1 and 1", round, requests, history)
			}
			var reservations int
			var reserved int64
			if err := e.db.QueryRow(ctx, `SELECT COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM wallet_limit_usage WHERE user_id = ? AND flow = 'topup'`, uid).
				Scan(&reservations, &reserved); err != nil {
				t.Fatal(err)
			}
			if reservations != round || reserved != int64(round)*amount {
				t.Errorf("round %d: %d limit reservations of %d in all, want %d of %d", round, reservations, reserved, round, int64(round)*amount)
			}
			if lite := e.balance(t, uid, "lite"); lite != int64(round)*amount {
				t.Errorf("round %d: money lite %d, want %d", round, lite, int64(round)*amount)
			}
		}
	})
}
