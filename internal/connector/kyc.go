package connector

import (
	"context"
	"net/http"
)

// EKYC is an electronic identity-verification provider (eKYC, as under
// Japan's 犯罪収益移転防止法): the user submits an identity document at the
// provider (which hands back a document token) and saifu asks the provider
// whether the document proves the submitted name and birth date.
type EKYC interface {
	// Verify checks a document. A rejection is a result, not an error.
	// Errors: ErrInvalidRequest (unknown document token, malformed name or
	// birth date), ErrUnavailable.
	Verify(ctx context.Context, req KYCRequest) (KYCResult, error)
}

// KYCRequest is what the user submitted.
type KYCRequest struct {
	FullName      string
	BirthDate     string // YYYY-MM-DD
	DocumentToken string
}

// The statuses of a verification.
const (
	KYCVerified = "verified"
	KYCRejected = "rejected"
)

// KYCResult is the provider's verdict. With KYCVerified, FullName and
// BirthDate are as the document states them.
type KYCResult struct {
	ID        string
	Status    string // KYCVerified or KYCRejected
	FullName  string
	BirthDate string
	Reason    string // with KYCRejected
}

// KYCClient is the HTTP client of an eKYC provider laid out as the sandbox
// one: POST {base}/verify.
type KYCClient struct{ b base }

var _ EKYC = (*KYCClient)(nil)

// NewKYCClient returns a client for the provider at baseURL (in demo mode
// "<public URL>/sandbox/kyc"). apiKey, if set, is sent as a Bearer token.
func NewKYCClient(baseURL, apiKey string, hc *http.Client) (*KYCClient, error) {
	b, err := newBase(baseURL, hc)
	if err != nil {
		return nil, err
	}
	b.apiKey = apiKey
	return &KYCClient{b: b}, nil
}

type kycRequest struct {
	FullName      string `json:"full_name"`
	BirthDate     string `json:"birth_date"`
	DocumentToken string `json:"document_token"`
}

type kycAnswer struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	FullName  string `json:"full_name"`
	BirthDate string `json:"birth_date"`
	Reason    string `json:"reason"`
}

// Verify implements EKYC.
func (c *KYCClient) Verify(ctx context.Context, r KYCRequest) (KYCResult, error) {
	const op = "kyc.verify"
	if r.FullName == "" || r.BirthDate == "" || r.DocumentToken == "" {
		return KYCResult{}, invalid(op, "full name, birth date and document token required")
	}
	var a kycAnswer
	if err := c.b.json(ctx, op, http.MethodPost, "/verify", "", kycRequest(r), &a); err != nil {
		return KYCResult{}, err
	}
	if a.Status != KYCVerified && a.Status != KYCRejected {
		return KYCResult{}, &Error{Op: op, Err: ErrUnavailable, Message: "unknown status " + a.Status}
	}
	return KYCResult(a), nil
}
