package connector_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/connector"
)

// TestErrorMapping: every answer a counterpart may give becomes one sentinel.
func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		want     error
		wantCode string
	}{
		{"insufficient funds", 422, `{"error":{"code":"insufficient_funds","message":"low"}}`, connector.ErrInsufficientFunds, "insufficient_funds"},
		{"invalid token", 401, `{"error":{"code":"invalid_token","message":"x"}}`, connector.ErrInvalidToken, "invalid_token"},
		{"oauth invalid grant", 400, `{"error":"invalid_grant","error_description":"used"}`, connector.ErrInvalidGrant, "invalid_grant"},
		{"oauth access denied", 400, `{"error":"access_denied"}`, connector.ErrAccessDenied, "access_denied"},
		{"oauth invalid request", 400, `{"error":"invalid_request","error_description":"no verifier"}`, connector.ErrInvalidRequest, "invalid_request"},
		{"key reused", 422, `{"error":{"code":"idempotency_key_reused"}}`, connector.ErrIdempotencyKeyReused, "idempotency_key_reused"},
		{"not found", 404, `{"error":{"code":"not_found"}}`, connector.ErrNotFound, "not_found"},
		{"declined", 422, `{"error":{"code":"declined"}}`, connector.ErrDeclined, "declined"},
		{"other 4xx", 422, `{"error":{"code":"amount_too_large"}}`, connector.ErrInvalidRequest, "amount_too_large"},
		{"server error", 500, `oops`, connector.ErrUnavailable, ""},
		{"rate limited", 429, ``, connector.ErrUnavailable, ""},
		{"bare 401", 401, ``, connector.ErrInvalidToken, ""},
		{"malformed success", 200, `{not json`, connector.ErrUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			bank, err := connector.NewBankClient(srv.URL, "saifu", nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = bank.Debit(context.Background(), "0001", "tok", 100, "key", "")
			if !errors.Is(err, tt.want) || connector.CodeOf(err) != tt.wantCode {
				t.Fatalf("err = %v (code %q), want %v (code %q)", err, connector.CodeOf(err), tt.want, tt.wantCode)
			}
		})
	}
}

func TestUnreachableIsUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	card, _ := connector.NewCardClient(u, "", nil)
	if _, err := card.Get(context.Background(), "auth_x"); !errors.Is(err, connector.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestAuthorizeURL(t *testing.T) {
	bank, _ := connector.NewBankClient("https://bank.example/sandbox/bank/", "saifu", nil)
	verifier, challenge := connector.NewPKCE()
	if len(verifier) != 43 || connector.PKCEChallenge(verifier) != challenge {
		t.Fatalf("PKCE pair %q %q", verifier, challenge)
	}
	tests := []struct {
		name, bank, state, challenge, redirect string
		wantErr                                bool
	}{
		{"ok", "0001", "st", challenge, "https://w.example/cb", false},
		{"bank code not 4 digits", "01", "st", challenge, "https://w.example/cb", true},
		{"path in bank code", "../x", "st", challenge, "https://w.example/cb", true},
		{"no state", "0001", "", challenge, "https://w.example/cb", true},
		{"plain challenge", "0001", "st", verifier + "!", "https://w.example/cb", true},
		{"relative redirect", "0001", "st", challenge, "/cb", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bank.AuthorizeURL(tt.bank, tt.state, tt.challenge, tt.redirect)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, connector.ErrInvalidRequest) {
					t.Errorf("err = %v, want ErrInvalidRequest", err)
				}
				return
			}
			u, _ := url.Parse(got)
			q := u.Query()
			if !strings.HasPrefix(got, "https://bank.example/sandbox/bank/0001/authorize?") || q.Get("code_challenge_method") != "S256" ||
				q.Get("code_challenge") != challenge || q.Get("state") != "st" || q.Get("redirect_uri") != tt.redirect || q.Get("client_id") != "saifu" {
				t.Errorf("authorize URL %s", got)
			}
		})
	}
}

func TestClientsRefuseBadArgumentsWithoutCalling(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }))
	defer srv.Close()
	ctx := context.Background()
	bank, _ := connector.NewBankClient(srv.URL, "saifu", nil)
	card, _ := connector.NewCardClient(srv.URL, "", nil)
	kyc, _ := connector.NewKYCClient(srv.URL, "", nil)
	tests := []struct {
		name string
		call func() error
	}{
		{"debit zero", func() error { _, err := bank.Debit(ctx, "0001", "t", 0, "k", ""); return err }},
		{"debit without key", func() error { _, err := bank.Debit(ctx, "0001", "t", 1, "", ""); return err }},
		{"credit with a non-ASCII key", func() error { _, err := bank.Credit(ctx, "0001", "t", 1, "キー", ""); return err }},
		{"authorize negative", func() error {
			_, err := card.Authorize(ctx, connector.AuthRequest{CardToken: "t", Amount: -1, IdempotencyKey: "k", ReturnURL: "https://x/"})
			return err
		}},
		{"authorize relative return", func() error {
			_, err := card.Authorize(ctx, connector.AuthRequest{CardToken: "t", Amount: 1, IdempotencyKey: "k", ReturnURL: "/x"})
			return err
		}},
		{"refund without key", func() error { _, err := card.Refund(ctx, "auth_1", 1, ""); return err }},
		{"kyc without document", func() error {
			_, err := kyc.Verify(ctx, connector.KYCRequest{FullName: "a", BirthDate: "2000-01-01"})
			return err
		}},
	}
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, connector.ErrInvalidRequest) {
			t.Errorf("%s: err = %v, want ErrInvalidRequest", tt.name, err)
		}
	}
	if calls != 0 {
		t.Errorf("%d calls reached the counterpart", calls)
	}
	if _, err := card.Get(ctx, "../../admin"); !errors.Is(err, connector.ErrNotFound) || calls != 0 {
		t.Errorf("path traversal id: err = %v, calls %d", err, calls)
	}
}

// TestRedirectError: the error a bank puts on its redirect back becomes a
// sentinel by its code alone.
func TestRedirectError(t *testing.T) {
	tests := []struct {
		name, code string
		want       error
	}{
		{"consent denied", "access_denied", connector.ErrAccessDenied},
		{"bank down", "temporarily_unavailable", connector.ErrUnavailable},
		{"bank failed", "server_error", connector.ErrUnavailable},
		{"bad request", "invalid_request", connector.ErrInvalidRequest},
		{"scope", "invalid_scope", connector.ErrInvalidRequest},
		{"unknown code", "something_new", connector.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := connector.RedirectError(tt.code, "access denied, really")
			if !errors.Is(err, tt.want) || connector.CodeOf(err) != tt.code {
				t.Errorf("err = %v (code %q), want %v (code %q)", err, connector.CodeOf(err), tt.want, tt.code)
			}
		})
	}
}
