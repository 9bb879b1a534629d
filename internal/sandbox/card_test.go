package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// tokenize calls the acquirer as a browser would; it returns the status and
// the decoded answer.
func (e *env) tokenize(t *testing.T, body map[string]any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(e.url+"/sandbox/card/tokens", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (e *env) cardToken(t *testing.T, number string) string {
	t.Helper()
	status, out := e.tokenize(t, map[string]any{"number": number, "exp_month": 12, "exp_year": e.clock.now().Year() + 3, "cvc": "123"})
	if status != http.StatusCreated {
		t.Fatalf("tokenize %s: status %d: %v", number, status, out)
	}
	return out["card_token"].(string)
}

func TestCardTokenize(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		year := e.clock.now().Year()
		tests := []struct {
			name       string
			number     string
			month, yr  int
			cvc        string
			wantStatus int
			wantCode   string
			wantBrand  string
		}{
			{"visa", "4242 4242 4242 4242", 12, year + 2, "123", http.StatusCreated, "", "visa"},
			{"mastercard", "5555555555554444", 1, year + 1, "999", http.StatusCreated, "", "mastercard"},
			{"jcb", "3530111333300000", 6, year + 5, "000", http.StatusCreated, "", "jcb"},
			{"luhn failure", "4242424242424241", 12, year + 2, "123", http.StatusBadRequest, "invalid_number", ""},
			{"letters", "4242abcd42424242", 12, year + 2, "123", http.StatusBadRequest, "invalid_number", ""},
			{"too short", "4242", 12, year + 2, "123", http.StatusBadRequest, "invalid_number", ""},
			{"not a test card", "4111111111111111", 12, year + 2, "123", http.StatusBadRequest, "invalid_number", ""},
			{"expired", "4242424242424242", 1, year - 1, "123", http.StatusBadRequest, "expired_card", ""},
			{"month 13", "4242424242424242", 13, year + 1, "123", http.StatusBadRequest, "invalid_expiry", ""},
			{"two-digit year", "4242424242424242", 12, 29, "123", http.StatusBadRequest, "invalid_expiry", ""},
			{"short cvc", "4242424242424242", 12, year + 1, "12", http.StatusBadRequest, "invalid_cvc", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, out := e.tokenize(t, map[string]any{"number": tt.number, "exp_month": tt.month, "exp_year": tt.yr, "cvc": tt.cvc})
				if status != tt.wantStatus {
					t.Fatalf("status %d, want %d: %v", status, tt.wantStatus, out)
				}
				if tt.wantCode != "" {
					if code := out["error"].(map[string]any)["code"]; code != tt.wantCode {
						t.Errorf("code %v, want %s", code, tt.wantCode)
					}
					return
				}
				raw, _ := json.Marshal(out)
				digits := strings.NewReplacer(" ", "").Replace(tt.number)
				if _, hasCVC := out["cvc"]; hasCVC || strings.Contains(string(raw), digits) {
					t.Errorf("answer %s repeats the number or the CVC", raw)
				}
				info, err := e.card.Card(context.Background(), out["card_token"].(string))
				if err != nil {
					t.Fatal(err)
				}
				want := connector.CardInfo{Brand: tt.wantBrand, Last4: digits[len(digits)-4:], ExpMonth: tt.month, ExpYear: tt.yr, Fingerprint: info.Fingerprint}
				if diff := cmp.Diff(info, want); diff != "" || !strings.HasPrefix(info.Fingerprint, "fp_") {
					t.Errorf("card (-got +want):\n%s", diff)
				}
			})
		}
		t.Run("same card, new token, same fingerprint; nothing stores the number", func(t *testing.T) {
			ctx := context.Background()
			a, _ := e.card.Card(ctx, e.cardToken(t, "4242424242424242"))
			b, _ := e.card.Card(ctx, e.cardToken(t, "4242424242424242"))
			c, _ := e.card.Card(ctx, e.cardToken(t, "4000000000003220"))
			if a.Fingerprint != b.Fingerprint || a.Fingerprint == c.Fingerprint {
				t.Errorf("fingerprints %s %s %s: want equal for one card, different across cards", a.Fingerprint, b.Fingerprint, c.Fingerprint)
			}
			var n int
			db.QueryRow(ctx, `SELECT COUNT(*) FROM sandbox_cards WHERE token_hash LIKE '%4242424242%' OR fingerprint LIKE '%4242424242%'`).Scan(&n)
			if n != 0 {
				t.Errorf("%d rows hold the card number", n)
			}
		})
		t.Run("unknown token", func(t *testing.T) {
			if _, err := e.card.Card(context.Background(), "tok_nope"); !errors.Is(err, connector.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	})
}

func TestCardAuthorize(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tests := []struct {
			name        string
			number      string
			force3DS    bool
			wantStatus  string
			wantDecline string
		}{
			{"frictionless", "4242424242424242", false, connector.AuthSucceeded, ""},
			{"always challenged", "4000000000003220", false, connector.AuthRequiresAction, ""},
			{"challenge asked by saifu", "4242424242424242", true, connector.AuthRequiresAction, ""},
			{"declined", "4000000000000002", false, connector.AuthDeclined, "card_declined"},
			{"declined even when saifu asks 3DS", "4000000000000002", true, connector.AuthDeclined, "card_declined"},
			{"insufficient funds", "4000000000009995", false, connector.AuthDeclined, "insufficient_funds"},
			{"expired at the issuer", "4000000000000069", false, connector.AuthDeclined, "expired_card"},
			{"incorrect cvc", "4000000000000127", false, connector.AuthDeclined, "incorrect_cvc"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req := connector.AuthRequest{CardToken: e.cardToken(t, tt.number), Amount: 3000, IdempotencyKey: "a-" + tt.name,
					Force3DS: tt.force3DS, ReturnURL: returnURL}
				sent := e.sms.count(sandbox.CardholderPhone)
				res, err := e.card.Authorize(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != tt.wantStatus || res.DeclineCode != tt.wantDecline || res.Amount != 3000 || res.Currency != "JPY" {
					t.Fatalf("result %+v, want status %s decline %q", res, tt.wantStatus, tt.wantDecline)
				}
				challenged := res.Status == connector.AuthRequiresAction
				if challenged != (res.ChallengeURL != "") || challenged != (e.sms.count(sandbox.CardholderPhone) == sent+1) {
					t.Errorf("challenge URL %q, SMS sent %d: want both exactly when challenged", res.ChallengeURL, e.sms.count(sandbox.CardholderPhone)-sent)
				}
				again, err := e.card.Authorize(ctx, req)
				if err != nil || again.ID != res.ID {
					t.Errorf("repeat: %+v, %v; want the same authorisation %s", again, err, res.ID)
				}
				req.Amount = 3001
				if _, err := e.card.Authorize(ctx, req); !errors.Is(err, connector.ErrIdempotencyKeyReused) {
					t.Errorf("same key, other amount: err = %v, want ErrIdempotencyKeyReused", err)
				}
			})
		}
		t.Run("unknown card token", func(t *testing.T) {
			_, err := e.card.Authorize(ctx, connector.AuthRequest{CardToken: "tok_x", Amount: 1, IdempotencyKey: "u", ReturnURL: returnURL})
			if !errors.Is(err, connector.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	})
}

var actionField = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// challenge answers the 3-D Secure page like a cardholder: it opens the
// challenge URL and submits the form with otp and action.
func (e *env) challenge(t *testing.T, challengeURL, otp, action string) page {
	t.Helper()
	p := e.get(t, challengeURL)
	if p.status != http.StatusOK {
		t.Fatalf("challenge page: status %d: %.300s", p.status, p.body)
	}
	m := actionField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no form on the challenge page: %.300s", p.body)
	}
	return e.post(t, m[1], url.Values{"otp": {otp}, "action": {action}})
}

func TestCardChallenge(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		authorize := func(t *testing.T, key string) connector.AuthResult {
			res, err := e.card.Authorize(ctx, connector.AuthRequest{CardToken: e.cardToken(t, "4000000000003220"), Amount: 12000,
				IdempotencyKey: key, ReturnURL: returnURL + "?topup=t1"})
			if err != nil || res.Status != connector.AuthRequiresAction {
				t.Fatalf("authorize: %+v, %v", res, err)
			}
			return res
		}
		returned := func(t *testing.T, p page, id string) {
			t.Helper()
			u, err := url.Parse(p.location)
			if p.status != http.StatusSeeOther || err != nil || u.Query().Get("auth_id") != id || u.Query().Get("topup") != "t1" ||
				!strings.HasPrefix(p.location, returnURL) {
				t.Fatalf("want 303 to the return URL with auth_id=%s and its own query, got %d %q", id, p.status, p.location)
			}
		}
		wrongOf := func(code string) string { return strings.Map(func(r rune) rune { return '0' + (r-'0'+1)%10 }, code) }
		tests := []struct {
			name        string
			answer      func(t *testing.T, res connector.AuthResult)
			wantStatus  string
			wantDecline string
		}{
			{"right code", func(t *testing.T, res connector.AuthResult) {
				returned(t, e.challenge(t, res.ChallengeURL, e.sms.code(t, sandbox.CardholderPhone), "verify"), res.ID)
			}, connector.AuthSucceeded, ""},
			{"one wrong code, then right", func(t *testing.T, res connector.AuthResult) {
				code := e.sms.code(t, sandbox.CardholderPhone)
				if p := e.challenge(t, res.ChallengeURL, wrongOf(code), "verify"); p.status != http.StatusUnauthorized {
					t.Fatalf("wrong code: status %d", p.status)
				}
				returned(t, e.challenge(t, res.ChallengeURL, code, "verify"), res.ID)
			}, connector.AuthSucceeded, ""},
			{"three wrong codes", func(t *testing.T, res connector.AuthResult) {
				code := e.sms.code(t, sandbox.CardholderPhone)
				e.challenge(t, res.ChallengeURL, wrongOf(code), "verify")
				e.challenge(t, res.ChallengeURL, wrongOf(code), "verify")
				returned(t, e.challenge(t, res.ChallengeURL, wrongOf(code), "verify"), res.ID)
				if p := e.get(t, res.ChallengeURL); p.status != http.StatusConflict {
					t.Errorf("challenge page after the end: status %d, want 409", p.status)
				}
			}, connector.AuthDeclined, "authentication_failed"},
			{"cancelled", func(t *testing.T, res connector.AuthResult) {
				returned(t, e.challenge(t, res.ChallengeURL, "", "cancel"), res.ID)
			}, connector.AuthDeclined, "authentication_failed"},
			{"left too long", func(t *testing.T, res connector.AuthResult) {
				e.clock.advance(11 * time.Minute)
			}, connector.AuthDeclined, "authentication_failed"},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := authorize(t, "c"+string(rune('a'+i)))
				tt.answer(t, res)
				got, err := e.card.Get(ctx, res.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != tt.wantStatus || got.DeclineCode != tt.wantDecline || got.ChallengeURL != "" {
					t.Errorf("after the challenge: %+v, want status %s decline %q", got, tt.wantStatus, tt.wantDecline)
				}
			})
		}
		t.Run("unknown authorisation", func(t *testing.T) {
			if _, err := e.card.Get(ctx, "auth_nope"); !errors.Is(err, connector.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	})
}

func TestCardVerify3DS(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tests := []struct {
			number, wantStatus, wantDecline string
		}{
			{"4242424242424242", connector.AuthSucceeded, ""},
			{"4000000000003220", connector.AuthRequiresAction, ""},
			{"4000000000000002", connector.AuthDeclined, "card_declined"},
			{"4000000000009995", connector.AuthSucceeded, ""}, // no money needed to verify
		}
		for _, tt := range tests {
			t.Run(tt.number, func(t *testing.T) {
				res, err := e.card.Verify3DS(ctx, e.cardToken(t, tt.number), returnURL)
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != tt.wantStatus || res.DeclineCode != tt.wantDecline || res.Amount != 0 {
					t.Fatalf("%+v, want status %s decline %q amount 0", res, tt.wantStatus, tt.wantDecline)
				}
				if _, err := e.card.Capture(ctx, res.ID, 1, "cap-"+tt.number); !errors.Is(err, connector.ErrInvalidRequest) {
					t.Errorf("capture of a verification: err = %v, want ErrInvalidRequest", err)
				}
			})
		}
	})
}

func TestCardCaptureAndRefund(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		res, err := e.card.Authorize(ctx, connector.AuthRequest{CardToken: e.cardToken(t, "4242424242424242"), Amount: 10000,
			IdempotencyKey: "auth-1", ReturnURL: returnURL})
		if err != nil || res.Status != connector.AuthSucceeded {
			t.Fatalf("authorize: %+v %v", res, err)
		}
		steps := []struct {
			name                       string
			kind                       string
			amount                     int64
			key                        string
			wantErr                    error
			wantCode                   string
			wantCaptured, wantRefunded int64
		}{
			{"refund before capture", "refund", 1, "r0", connector.ErrInvalidRequest, "amount_too_large", 0, 0},
			{"capture part", "capture", 6000, "c1", nil, "", 6000, 0},
			{"repeat capture: once", "capture", 6000, "c1", nil, "", 6000, 0},
			{"capture above what is left", "capture", 4001, "c2", connector.ErrInvalidRequest, "amount_too_large", 6000, 0},
			{"refund part", "refund", 5000, "r1", nil, "", 6000, 5000},
			{"refund above the capture", "refund", 1001, "r2", connector.ErrInvalidRequest, "amount_too_large", 6000, 5000},
			{"same key, other amount", "refund", 1000, "r1", connector.ErrIdempotencyKeyReused, "idempotency_key_reused", 6000, 5000},
			{"refund the rest", "refund", 1000, "r3", nil, "", 6000, 6000},
			{"capture the rest", "capture", 4000, "c3", nil, "", 10000, 6000},
		}
		for _, st := range steps {
			var err error
			if st.kind == "capture" {
				_, err = e.card.Capture(ctx, res.ID, st.amount, st.key)
			} else {
				_, err = e.card.Refund(ctx, res.ID, st.amount, st.key)
			}
			if !errors.Is(err, st.wantErr) || (st.wantErr == nil && err != nil) || connector.CodeOf(err) != st.wantCode {
				t.Fatalf("%s: err = %v (code %q), want %v (code %q)", st.name, err, connector.CodeOf(err), st.wantErr, st.wantCode)
			}
			got, err := e.card.Get(ctx, res.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Captured != st.wantCaptured || got.Refunded != st.wantRefunded {
				t.Fatalf("%s: captured %d refunded %d, want %d %d", st.name, got.Captured, got.Refunded, st.wantCaptured, st.wantRefunded)
			}
		}
		declined, _ := e.card.Authorize(ctx, connector.AuthRequest{CardToken: e.cardToken(t, "4000000000000002"), Amount: 100,
			IdempotencyKey: "auth-2", ReturnURL: returnURL})
		if _, err := e.card.Capture(ctx, declined.ID, 100, "c4"); !errors.Is(err, connector.ErrInvalidRequest) || connector.CodeOf(err) != "invalid_state" {
			t.Errorf("capture of a declined authorisation: err = %v, want invalid_state", err)
		}
	})
}

// TestChallengeURLWithoutPublicBase: with no public base URL the challenge
// URL names the host the API call came to (demo mode on an ephemeral port).
func TestChallengeURLWithoutPublicBase(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		sb, err := sandbox.New(db, e.sms.send, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		url := newServer(t, sb.Handler())
		card, _ := connector.NewCardClient(url+"/sandbox/card", "", nil)
		res, err := card.Authorize(context.Background(), connector.AuthRequest{CardToken: e.cardToken(t, "4000000000003220"),
			Amount: 500, IdempotencyKey: "k", ReturnURL: returnURL})
		if err != nil {
			t.Fatal(err)
		}
		if want := url + "/sandbox/card/challenge/" + res.ID; res.ChallengeURL != want {
			t.Errorf("challenge URL %q, want %q", res.ChallengeURL, want)
		}
	})
}
