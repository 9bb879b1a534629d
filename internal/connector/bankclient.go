package connector

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"time"
)

var (
	bankCodeRE  = regexp.MustCompile(`^[0-9]{4}$`)
	challengeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
)

// stateBytesMax bounds the OAuth state value saifu passes through the bank.
const stateBytesMax = 255

// BankClient is the HTTP client of a bank API laid out as the sandbox bank:
// {base}/{bank_code}/authorize, /token, /holder, /debit, /credit.
type BankClient struct {
	b        base
	clientID string
	now      func() time.Time
}

var _ Bank = (*BankClient)(nil)

// NewBankClient returns a client for the banks under baseURL (in demo mode
// "<public URL>/sandbox/bank"), identifying itself as clientID. hc may be
// nil (a client with clientTimeout is used).
func NewBankClient(baseURL, clientID string, hc *http.Client) (*BankClient, error) {
	b, err := newBase(baseURL, hc)
	if err != nil {
		return nil, err
	}
	return &BankClient{b: b, clientID: clientID, now: time.Now}, nil
}

// SetClock sets the clock that turns expires_in into Token.ExpiresAt.
func (c *BankClient) SetClock(now func() time.Time) { c.now = now }

// AuthorizeURL implements Bank.
func (c *BankClient) AuthorizeURL(bankCode, state, codeChallenge, redirectURI string) (string, error) {
	const op = "bank.authorize_url"
	if !bankCodeRE.MatchString(bankCode) {
		return "", invalid(op, "bank code must be 4 digits")
	}
	if state == "" || len(state) > stateBytesMax {
		return "", invalid(op, "state must be 1–255 bytes")
	}
	if !challengeRE.MatchString(codeChallenge) {
		return "", invalid(op, "code challenge must be a base64url S256 digest")
	}
	if u, err := url.Parse(redirectURI); err != nil || !u.IsAbs() || u.Host == "" {
		return "", invalid(op, "redirect URI must be absolute")
	}
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.clientID},
		"redirect_uri":          {redirectURI},
		"state":                 {state},
		"code_challenge":        {codeChallenge},
		"code_challenge_method": {"S256"},
		"scope":                 {"holder debit credit"},
	}
	return c.b.url + "/" + bankCode + "/authorize?" + q.Encode(), nil
}

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

func (c *BankClient) token(ctx context.Context, op, bankCode string, vals url.Values) (Token, error) {
	if !bankCodeRE.MatchString(bankCode) {
		return Token{}, invalid(op, "bank code must be 4 digits")
	}
	vals.Set("client_id", c.clientID)
	var a tokenAnswer
	if err := c.b.form(ctx, op, "/"+bankCode+"/token", vals, &a); err != nil {
		return Token{}, err
	}
	if a.AccessToken == "" || a.ExpiresIn <= 0 {
		return Token{}, &Error{Op: op, Err: ErrUnavailable, Message: "token answer without access_token or expires_in"}
	}
	return Token{
		AccessToken:  a.AccessToken,
		RefreshToken: a.RefreshToken,
		ExpiresAt:    c.now().Add(time.Duration(a.ExpiresIn) * time.Second),
	}, nil
}

// ExchangeCode implements Bank.
func (c *BankClient) ExchangeCode(ctx context.Context, bankCode, code, codeVerifier, redirectURI string) (Token, error) {
	return c.token(ctx, "bank.exchange_code", bankCode, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"code_verifier": {codeVerifier},
		"redirect_uri":  {redirectURI},
	})
}

// Refresh implements Bank.
func (c *BankClient) Refresh(ctx context.Context, bankCode, refreshToken string) (Token, error) {
	return c.token(ctx, "bank.refresh", bankCode, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
	})
}

// Revoke implements Bank.
func (c *BankClient) Revoke(ctx context.Context, bankCode, token string) error {
	const op = "bank.revoke"
	if !bankCodeRE.MatchString(bankCode) {
		return invalid(op, "bank code must be 4 digits")
	}
	if token == "" {
		return invalid(op, "token required")
	}
	return c.b.form(ctx, op, "/"+bankCode+"/revoke", url.Values{"token": {token}, "client_id": {c.clientID}}, nil)
}

type holderAnswer struct {
	AccountID    string `json:"account_id"`
	AccountLast4 string `json:"account_last4"`
	NameKana     string `json:"name_kana"`
	NameRomaji   string `json:"name_romaji"`
	Phone        string `json:"phone"`
}

// Holder implements Bank.
func (c *BankClient) Holder(ctx context.Context, bankCode, accessToken string) (Holder, error) {
	const op = "bank.holder"
	if !bankCodeRE.MatchString(bankCode) {
		return Holder{}, invalid(op, "bank code must be 4 digits")
	}
	var a holderAnswer
	if err := c.b.json(ctx, op, http.MethodGet, "/"+bankCode+"/holder", accessToken, nil, &a); err != nil {
		return Holder{}, err
	}
	return Holder(a), nil
}

type moveRequest struct {
	Amount         int64  `json:"amount"`
	IdempotencyKey string `json:"idempotency_key"`
	Description    string `json:"description,omitempty"`
}

type moveAnswer struct {
	ID     string `json:"id"`
	Amount int64  `json:"amount"`
}

func (c *BankClient) move(ctx context.Context, op, kind, bankCode, accessToken string, amount int64, key, desc string) (BankTxn, error) {
	if !bankCodeRE.MatchString(bankCode) {
		return BankTxn{}, invalid(op, "bank code must be 4 digits")
	}
	if amount <= 0 {
		return BankTxn{}, invalid(op, "amount must be positive")
	}
	if !ValidIdempotencyKey(key) {
		return BankTxn{}, invalid(op, "idempotency key must be 1–255 printable ASCII characters")
	}
	var a moveAnswer
	req := moveRequest{Amount: amount, IdempotencyKey: key, Description: desc}
	if err := c.b.json(ctx, op, http.MethodPost, "/"+bankCode+"/"+kind, accessToken, req, &a); err != nil {
		return BankTxn{}, err
	}
	return BankTxn(a), nil
}

// Debit implements Bank.
func (c *BankClient) Debit(ctx context.Context, bankCode, accessToken string, amount int64, key, desc string) (BankTxn, error) {
	return c.move(ctx, "bank.debit", "debit", bankCode, accessToken, amount, key, desc)
}

// Credit implements Bank.
func (c *BankClient) Credit(ctx context.Context, bankCode, accessToken string, amount int64, key, desc string) (BankTxn, error) {
	return c.move(ctx, "bank.credit", "credit", bankCode, accessToken, amount, key, desc)
}

// ValidIdempotencyKey reports whether key is 1–255 printable ASCII
// characters, the contract's rule for idempotency keys.
func ValidIdempotencyKey(key string) bool {
	if len(key) == 0 || len(key) > 255 {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return false
		}
	}
	return true
}
