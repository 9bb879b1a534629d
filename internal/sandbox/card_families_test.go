package sandbox_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// withLuhn appends the Luhn check digit to body.
func withLuhn(body string) string {
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return body + fmt.Sprint((10-sum%10)%10)
}

// familyCards is how many numbers of one family the test registers: more
// than the eight accounts the fixed test cards could fund.
const familyCards = 12

// Every Luhn-valid 16-digit number of a test-card family is a card of its
// own that behaves as the family says.
func TestCardFamilies(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		year := e.clock.now().Year() + 2
		tests := []struct {
			name       string
			prefix     string
			wantBrand  string
			wantStatus string
		}{
			{"visa frictionless", "424242", "visa", connector.AuthSucceeded},
			{"mastercard frictionless", "555555", "mastercard", connector.AuthSucceeded},
			{"jcb frictionless", "353011", "jcb", connector.AuthSucceeded},
			{"visa challenge", "400000322", "visa", connector.AuthRequiresAction},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				seen := map[string]string{}
				for i := range familyCards {
					body := tt.prefix + fmt.Sprintf("%0*d", 15-len(tt.prefix), 1000+i*7919)
					number := withLuhn(body)
					info, err := e.card.Card(ctx, e.cardToken(t, number))
					if err != nil {
						t.Fatal(err)
					}
					if info.Brand != tt.wantBrand || info.Last4 != number[12:] {
						t.Errorf("%s: brand %s last4 %s, want %s %s", number, info.Brand, info.Last4, tt.wantBrand, number[12:])
					}
					if prev, dup := seen[info.Fingerprint]; dup {
						t.Errorf("%s and %s share fingerprint %s", prev, number, info.Fingerprint)
					}
					seen[info.Fingerprint] = number
					res, err := e.card.Authorize(ctx, connector.AuthRequest{CardToken: e.cardToken(t, number), Amount: 1000,
						IdempotencyKey: "fam-" + number, ReturnURL: returnURL})
					if err != nil || res.Status != tt.wantStatus {
						t.Errorf("%s: authorize %+v, %v; want %s", number, res, err, tt.wantStatus)
					}
				}
			})
		}
		refused := []struct {
			name   string
			number string
		}{
			{"family prefix, 15 digits", withLuhn("42424200000001")},
			{"family prefix, 19 digits", withLuhn("424242000000000001")},
			{"family prefix, Luhn failure", "4242420000000001"},
			{"other prefix", withLuhn("424243000000000")},
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				status, out := e.tokenize(t, map[string]any{"number": tt.number, "exp_month": 12, "exp_year": year, "cvc": "123"})
				if status != http.StatusBadRequest {
					t.Errorf("%s: status %d (%v), want 400", tt.number, status, out)
				}
			})
		}
	})
}

// A card of the security-code family is approved with its own code (the
// three digits after its prefix) and declined incorrect_cvc with any
// other; the code is not in the last 4.
func TestCardSecurityCodeFamily(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		number := withLuhn("400000127" + "042" + "123") // its code is 042
		year := e.clock.now().Year() + 2
		tests := []struct {
			name, cvc, wantStatus, wantDecline string
		}{
			{"its own code", "042", connector.AuthSucceeded, ""},
			{"one off", "041", connector.AuthDeclined, "incorrect_cvc"},
			{"the last digits", number[13:16], connector.AuthDeclined, "incorrect_cvc"},
			{"zeros", "000", connector.AuthDeclined, "incorrect_cvc"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, out := e.tokenize(t, map[string]any{"number": number, "exp_month": 12, "exp_year": year, "cvc": tt.cvc})
				if status != http.StatusCreated {
					t.Fatalf("tokenize: status %d: %v", status, out)
				}
				res, err := e.card.Verify3DS(ctx, out["card_token"].(string), returnURL)
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != tt.wantStatus || res.DeclineCode != tt.wantDecline {
					t.Errorf("cvc %s: %+v, want status %s decline %q", tt.cvc, res, tt.wantStatus, tt.wantDecline)
				}
				if last4 := out["last4"]; last4 != number[12:] {
					t.Errorf("last4 %v, want %s", last4, number[12:])
				}
			})
		}
	})
}

// TestFrictionlessCard: the n-th number of the Visa frictionless family
// is 424242, n in nine digits, and its Luhn check digit.
func TestFrictionlessCard(t *testing.T) {
	for _, n := range []int{0, 1, 9, 10, 4711, 999_999_999} {
		if got, want := sandbox.FrictionlessCard(n), withLuhn(fmt.Sprintf("424242%09d", n)); got != want {
			t.Errorf("FrictionlessCard(%d) = %s, want %s", n, got, want)
		}
	}
}
