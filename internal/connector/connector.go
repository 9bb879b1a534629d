// Package connector defines what saifu needs from the outside world — a
// bank (OAuth 2.0 authorization code + PKCE, holder lookup, debit, credit),
// a card acquirer (card lookup, 3-D Secure 2, authorize, capture, refund) and
// an eKYC provider — as small interfaces, and ships HTTP clients that speak
// the protocol of saifu's sandbox counterparts (internal/sandbox), which is
// modelled on the real services.
//
// What it promises:
//   - Every method names the errors it returns; each is one of the sentinel
//     errors below wrapped in an *Error (test with errors.Is), so callers
//     never parse messages.
//   - Transport failures, timeouts, 5xx and 429 answers are ErrUnavailable:
//     the outcome at the counterpart is unknown, and a retry with the same
//     idempotency key is safe.
//   - Clients never log and never put secrets (tokens, codes, verifiers) in
//     URLs other than the browser-facing authorize URL, which carries only
//     public values (state, code challenge).
//   - Response bodies are bounded (responseBytesMax) and every call has a
//     deadline (the http.Client's Timeout, default clientTimeout).
package connector

import (
	"errors"
	"fmt"
)

// The sentinel errors of every connector.
var (
	// ErrDeclined: the counterpart refused the operation for a business
	// reason (account closed, card declined outside an authorization).
	ErrDeclined = errors.New("connector: declined")
	// ErrInsufficientFunds: the bank account cannot cover a debit.
	ErrInsufficientFunds = errors.New("connector: insufficient funds")
	// ErrUnavailable: the counterpart could not be reached or failed; the
	// outcome is unknown, retry with the same idempotency key.
	ErrUnavailable = errors.New("connector: counterpart unavailable")
	// ErrInvalidToken: the access token is unknown, expired or revoked;
	// the user must link the account again.
	ErrInvalidToken = errors.New("connector: invalid or expired token")
	// ErrInvalidGrant: an authorization code or refresh token is unknown,
	// used, expired, issued to another redirect URI, or the PKCE verifier
	// does not match.
	ErrInvalidGrant = errors.New("connector: invalid grant")
	// ErrAccessDenied: the person declined at the counterpart's consent
	// screen (OAuth error=access_denied on the redirect).
	ErrAccessDenied = errors.New("connector: access denied by the resource owner")
	// ErrNotFound: the card token, authorization or bank code is unknown.
	ErrNotFound = errors.New("connector: not found")
	// ErrIdempotencyKeyReused: the key was used before with a different request.
	ErrIdempotencyKeyReused = errors.New("connector: idempotency key reused with a different request")
	// ErrInvalidRequest: the counterpart refused the request as malformed or
	// not allowed in the current state (a refund above the captured amount,
	// a capture of an unauthorised payment); Error.Code says which.
	ErrInvalidRequest = errors.New("connector: invalid request")
)

// Error is the error every client method returns: the operation, the
// counterpart's machine-readable code and message, and one sentinel error.
type Error struct {
	Op      string // e.g. "bank.debit"
	Status  int    // HTTP status, 0 when no answer was received
	Code    string // the counterpart's code, e.g. "insufficient_funds"
	Message string // the counterpart's message; may be empty
	Err     error  // one of the sentinel errors above
	Cause   error  // the transport error, if any
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %v", e.Op, e.Err)
	if e.Code != "" {
		s += " (" + e.Code
		if e.Message != "" {
			s += ": " + e.Message
		}
		s += ")"
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the sentinel error and the transport cause.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// CodeOf returns the counterpart's code of err, or "" if err is not an *Error.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// sentinelFor maps a counterpart's error code and HTTP status to a sentinel.
func sentinelFor(status int, code string) error {
	switch code {
	case "insufficient_funds":
		return ErrInsufficientFunds
	case "declined", "card_declined", "account_closed", "expired_card":
		return ErrDeclined
	case "invalid_token", "unauthenticated":
		return ErrInvalidToken
	case "invalid_grant":
		return ErrInvalidGrant
	case "access_denied":
		return ErrAccessDenied
	case "not_found":
		return ErrNotFound
	case "idempotency_key_reused":
		return ErrIdempotencyKeyReused
	}
	switch {
	case status == 429 || status >= 500:
		return ErrUnavailable
	case status == 401:
		return ErrInvalidToken
	case status == 404:
		return ErrNotFound
	case status >= 400:
		return ErrInvalidRequest
	}
	return ErrUnavailable
}
