package connector

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
)

var authIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// CardClient is the HTTP client of an acquirer laid out as the sandbox one:
// {base}/lookup, /verifications, /authorizations[/{id}[/capture|/refund]].
type CardClient struct{ b base }

var _ Acquirer = (*CardClient)(nil)

// NewCardClient returns a client for the acquirer at baseURL (in demo mode
// "<public URL>/sandbox/card"). apiKey, if not empty, is sent as a Bearer
// token; the sandbox needs none. hc may be nil.
func NewCardClient(baseURL, apiKey string, hc *http.Client) (*CardClient, error) {
	b, err := newBase(baseURL, hc)
	if err != nil {
		return nil, err
	}
	b.apiKey = apiKey
	return &CardClient{b: b}, nil
}

type cardAnswer struct {
	Brand       string `json:"brand"`
	Last4       string `json:"last4"`
	ExpMonth    int    `json:"exp_month"`
	ExpYear     int    `json:"exp_year"`
	Fingerprint string `json:"fingerprint"`
}

// Card implements Acquirer. The token travels in the body, never in a URL
// (URLs end up in logs).
func (c *CardClient) Card(ctx context.Context, cardToken string) (CardInfo, error) {
	const op = "card.lookup"
	if cardToken == "" {
		return CardInfo{}, invalid(op, "card token required")
	}
	var a cardAnswer
	in := map[string]string{"card_token": cardToken}
	if err := c.b.json(ctx, op, http.MethodPost, "/lookup", "", in, &a); err != nil {
		return CardInfo{}, err
	}
	return CardInfo(a), nil
}

type authAnswer struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	ChallengeURL string `json:"challenge_url"`
	DeclineCode  string `json:"decline_code"`
	Amount       int64  `json:"amount"`
	Currency     string `json:"currency"`
	Captured     int64  `json:"captured"`
	Refunded     int64  `json:"refunded"`
}

func (a authAnswer) result(op string) (AuthResult, error) {
	switch a.Status {
	case AuthSucceeded, AuthRequiresAction, AuthDeclined, AuthVoided:
	default:
		return AuthResult{}, &Error{Op: op, Err: ErrUnavailable, Message: "unknown authorization status " + a.Status}
	}
	return AuthResult(a), nil
}

// Verify3DS implements Acquirer.
func (c *CardClient) Verify3DS(ctx context.Context, cardToken, returnURL string) (AuthResult, error) {
	const op = "card.verify_3ds"
	if cardToken == "" || !absURL(returnURL) {
		return AuthResult{}, invalid(op, "card token and absolute return URL required")
	}
	var a authAnswer
	in := map[string]string{"card_token": cardToken, "return_url": returnURL}
	if err := c.b.json(ctx, op, http.MethodPost, "/verifications", "", in, &a); err != nil {
		return AuthResult{}, err
	}
	return a.result(op)
}

type authorizeRequest struct {
	CardToken      string `json:"card_token"`
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"`
	IdempotencyKey string `json:"idempotency_key"`
	Force3DS       bool   `json:"force_3ds"`
	ReturnURL      string `json:"return_url"`
}

// Authorize implements Acquirer.
func (c *CardClient) Authorize(ctx context.Context, r AuthRequest) (AuthResult, error) {
	const op = "card.authorize"
	if r.Currency == "" {
		r.Currency = "JPY"
	}
	switch {
	case r.CardToken == "":
		return AuthResult{}, invalid(op, "card token required")
	case r.Amount <= 0:
		return AuthResult{}, invalid(op, "amount must be positive")
	case !ValidIdempotencyKey(r.IdempotencyKey):
		return AuthResult{}, invalid(op, "idempotency key must be 1–255 printable ASCII characters")
	case !absURL(r.ReturnURL):
		return AuthResult{}, invalid(op, "return URL must be absolute")
	}
	var a authAnswer
	in := authorizeRequest(r)
	if err := c.b.json(ctx, op, http.MethodPost, "/authorizations", "", in, &a); err != nil {
		return AuthResult{}, err
	}
	return a.result(op)
}

// Get implements Acquirer.
func (c *CardClient) Get(ctx context.Context, authID string) (AuthResult, error) {
	const op = "card.get"
	if !authIDRE.MatchString(authID) {
		return AuthResult{}, &Error{Op: op, Code: "not_found", Err: ErrNotFound}
	}
	var a authAnswer
	if err := c.b.json(ctx, op, http.MethodGet, "/authorizations/"+authID, "", nil, &a); err != nil {
		return AuthResult{}, err
	}
	return a.result(op)
}

// Void implements Acquirer.
func (c *CardClient) Void(ctx context.Context, authID, key string) (AuthResult, error) {
	const op = "card.void"
	switch {
	case !authIDRE.MatchString(authID):
		return AuthResult{}, &Error{Op: op, Code: "not_found", Err: ErrNotFound}
	case !ValidIdempotencyKey(key):
		return AuthResult{}, invalid(op, "idempotency key must be 1–255 printable ASCII characters")
	}
	var a authAnswer
	in := map[string]string{"idempotency_key": key}
	if err := c.b.json(ctx, op, http.MethodPost, "/authorizations/"+authID+"/void", "", in, &a); err != nil {
		return AuthResult{}, err
	}
	return a.result(op)
}

type cardTxnAnswer struct {
	ID     string `json:"id"`
	AuthID string `json:"authorization_id"`
	Kind   string `json:"kind"`
	Amount int64  `json:"amount"`
}

func (c *CardClient) txn(ctx context.Context, op, kind, authID string, amount int64, key string) (CardTxn, error) {
	switch {
	case !authIDRE.MatchString(authID):
		return CardTxn{}, &Error{Op: op, Code: "not_found", Err: ErrNotFound}
	case amount <= 0:
		return CardTxn{}, invalid(op, "amount must be positive")
	case !ValidIdempotencyKey(key):
		return CardTxn{}, invalid(op, "idempotency key must be 1–255 printable ASCII characters")
	}
	var a cardTxnAnswer
	in := map[string]any{"amount": amount, "idempotency_key": key}
	if err := c.b.json(ctx, op, http.MethodPost, "/authorizations/"+authID+"/"+kind, "", in, &a); err != nil {
		return CardTxn{}, err
	}
	return CardTxn(a), nil
}

// Capture implements Acquirer.
func (c *CardClient) Capture(ctx context.Context, authID string, amount int64, key string) (CardTxn, error) {
	return c.txn(ctx, "card.capture", "capture", authID, amount, key)
}

// Refund implements Acquirer.
func (c *CardClient) Refund(ctx context.Context, authID string, amount int64, key string) (CardTxn, error) {
	return c.txn(ctx, "card.refund", "refund", authID, amount, key)
}

func absURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
