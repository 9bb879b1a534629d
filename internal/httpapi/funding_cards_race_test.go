package httpapi

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/saifu-pay/saifu/internal/funding"
)

// TestCardsPerUserParallel: a parallel burst of card registrations by one
// user cannot exceed CardsPerUserMax (the count and the insert are one
// serialised step, on PostgreSQL's READ COMMITTED too). On SQLite and
// PostgreSQL.
func TestCardsPerUserParallel(t *testing.T) {
	numbers := []string{"4242424242424242", "5555555555554444", "3530111333300000", "4000000000003220"}
	eachFundEnv(t, funding.Limits{CardsPerUserMax: 1, CardAttemptsUser: 100, CardAttemptsDevice: 100, CardAttemptsIP: 100},
		func(t *testing.T, e *fundEnv) {
			for round := range 3 {
				a, _ := e.user(t, fmt.Sprintf("cards%d@example.com", round), "")
				tokens := make([]string, len(numbers))
				for i, n := range numbers {
					tokens[i] = e.cardToken(t, n)
				}
				var wg sync.WaitGroup
				for _, tok := range tokens {
					wg.Add(1)
					go func() {
						defer wg.Done()
						a.do("POST", "/api/v1/cards", map[string]string{"card_token": tok})
					}()
				}
				wg.Wait()
				list := a.do("GET", "/api/v1/cards", nil).want(t, 200)
				if n := strings.Count(list.raw, `"card_id"`); n > 1 {
					t.Fatalf("round %d: %d cards registered, at most 1 allowed: %s", round, n, list.raw)
				}
			}
		})
}
