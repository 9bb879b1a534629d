package connector

import (
	"context"
	"time"
)

// Bank is a bank that lets its customer link an account to saifu through
// the bank's own consent screen (OAuth 2.0 authorization code with PKCE,
// RFC 6749 and RFC 7636, S256 only) and then lets saifu read the holder and
// move money with the access token. There is deliberately no way to link
// with an account number and PIN: that was the docomo-koza hole.
type Bank interface {
	// AuthorizeURL returns the URL of the bank's consent screen to send the
	// user's browser to. state is saifu's unguessable, single-use value
	// echoed back on the redirect; codeChallenge is BASE64URL(SHA256(verifier)).
	// Errors: ErrInvalidRequest (malformed bank code, state, challenge or
	// redirect URI).
	AuthorizeURL(bankCode, state, codeChallenge, redirectURI string) (string, error)

	// ExchangeCode trades the code from the redirect for tokens. The code
	// is single-use and short-lived; codeVerifier and redirectURI must be
	// those of the authorize request.
	// Errors: ErrInvalidGrant, ErrInvalidRequest, ErrNotFound (bank), ErrUnavailable.
	ExchangeCode(ctx context.Context, bankCode, code, codeVerifier, redirectURI string) (Token, error)

	// Refresh trades a refresh token for new tokens; the old refresh token
	// stops working (rotation).
	// Errors: ErrInvalidGrant, ErrNotFound, ErrUnavailable.
	Refresh(ctx context.Context, bankCode, refreshToken string) (Token, error)

	// Revoke ends the link: the token and every token of the same consent
	// stop working (RFC 7009). Revoking an unknown token is not an error.
	// Errors: ErrInvalidRequest, ErrUnavailable.
	Revoke(ctx context.Context, bankCode, token string) error

	// Holder returns the account and its holder as the bank knows them.
	// Errors: ErrInvalidToken, ErrNotFound, ErrUnavailable.
	Holder(ctx context.Context, bankCode, accessToken string) (Holder, error)

	// Debit takes amount (JPY, > 0) from the account, for a top-up.
	// Idempotent by idempotencyKey (1–255 printable ASCII): a repeat returns
	// the first transaction; the same key with another amount is refused.
	// Errors: ErrInsufficientFunds, ErrDeclined, ErrInvalidToken,
	// ErrIdempotencyKeyReused, ErrInvalidRequest, ErrUnavailable.
	Debit(ctx context.Context, bankCode, accessToken string, amount int64, idempotencyKey, description string) (BankTxn, error)

	// Credit pays amount into the account, for a withdrawal; idempotent as Debit.
	// Errors: ErrDeclined, ErrInvalidToken, ErrIdempotencyKeyReused,
	// ErrInvalidRequest, ErrUnavailable.
	Credit(ctx context.Context, bankCode, accessToken string, amount int64, idempotencyKey, description string) (BankTxn, error)
}

// Token is what the bank's token endpoint grants. Store it encrypted.
type Token struct {
	AccessToken  string
	RefreshToken string // may be empty
	ExpiresAt    time.Time
}

// Holder is a bank account and its holder. Names come in both scripts, as
// Japanese banks keep them (katakana, and romaji for international use).
type Holder struct {
	AccountID    string // stable, opaque; the same account linked twice has the same id
	AccountLast4 string
	NameKana     string // e.g. "ヤマダ タロウ"
	NameRomaji   string // e.g. "YAMADA TARO"
	Phone        string // E.164, may be empty
}

// BankTxn is a debit or credit the bank booked.
type BankTxn struct {
	ID     string
	Amount int64
}

// RedirectError returns the error a bank reported on the redirect back to
// saifu (RFC 6749 §4.1.2.1: ?error=…&error_description=…), as an *Error
// like every other: ErrAccessDenied when the holder declined consent,
// ErrUnavailable for server_error and temporarily_unavailable, and
// ErrInvalidRequest for the rest (invalid_request, unauthorized_client,
// unsupported_response_type, invalid_scope, unknown codes). Only the
// code decides; the description is kept as the message, never parsed.
func RedirectError(code, description string) error {
	const op = "bank.authorize"
	e := &Error{Op: op, Code: code, Message: description}
	switch code {
	case "access_denied":
		e.Err = ErrAccessDenied
	case "server_error", "temporarily_unavailable":
		e.Err = ErrUnavailable
	default:
		e.Err = ErrInvalidRequest
	}
	return e
}
