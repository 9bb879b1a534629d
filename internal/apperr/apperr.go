// Package apperr is saifu's one error type: a machine-readable code and a
// message that is safe to show to the caller, wrapping the internal cause,
// which is logged and never shown. The HTTP layer maps codes to statuses in
// one place (httpapi.statusOf).
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Code is a snake_case error code of the API contract.
type Code string

// The codes of the API contract (docs/api.md, "Conventions").
const (
	Invalid            Code = "invalid_request"
	Unauthenticated    Code = "unauthenticated"
	InvalidCredentials Code = "invalid_credentials"
	MFARequired        Code = "mfa_required"
	ReauthRequired     Code = "reauth_required"
	StepUpRequired     Code = "step_up_required" // money may not move yet: confirm with an older second factor, or wait
	Forbidden          Code = "forbidden"
	// FourEyesRequired: an operator tried to approve or reject their own
	// four-eyes request; another operator must decide it (403).
	FourEyesRequired Code = "four_eyes_required"
	// RiskDeclined: the risk rules declined the operation (403); the
	// message says why in safe words.
	RiskDeclined           Code = "risk_declined"
	NotFound               Code = "not_found"
	Conflict               Code = "conflict"
	RateLimited            Code = "rate_limited"
	InsufficientFunds      Code = "insufficient_funds"
	LimitExceeded          Code = "limit_exceeded"
	KYCRequired            Code = "kyc_required"
	CapabilityDisabled     Code = "capability_disabled"
	AccountFrozen          Code = "account_frozen"
	IdempotencyKeyRequired Code = "idempotency_key_required"
	IdempotencyKeyReused   Code = "idempotency_key_reused"
	IdempotencyKeyInUse    Code = "idempotency_key_in_use"
	// InvalidGrant: a counterpart refused an OAuth grant saifu presented
	// for the user (an authorization code used, expired or issued to
	// another request: the user starts again).
	InvalidGrant Code = "invalid_grant"
	// AccessDenied: the user declined at a counterpart's consent screen.
	AccessDenied Code = "access_denied"
	Unavailable  Code = "unavailable"
	Internal     Code = "internal"
)

// Error is an error with a code and a public message. Err, if set, is the
// internal cause: logged, never shown.
type Error struct {
	Code      Code
	Message   string            // English, safe to show
	MessageJA string            // Japanese, safe to show; optional
	Fields    map[string]string // per-field validation problems; optional
	FieldsJA  map[string]string // Fields in Japanese, where the writer has them; optional
	// RetryAfter, when positive, tells a rate-limited caller when to retry.
	RetryAfter time.Duration
	Err        error
}

// E returns an error with a code and a public message.
func E(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Wrap returns an error with a code and public message wrapping cause.
func Wrap(code Code, msg string, cause error) *Error {
	return &Error{Code: code, Message: msg, Err: cause}
}

// JA sets the Japanese message and returns e.
func (e *Error) JA(msg string) *Error { e.MessageJA = msg; return e }

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the code of the first *Error in err's chain, or Internal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns the first *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
