package connector

import "context"

// Acquirer is a card acquirer. Card numbers never reach saifu: the browser
// or app tokenises the card at the acquirer (POST …/card/tokens in the
// sandbox) and saifu only ever holds the card token, brand and last 4.
//
// Payments are authorised with 3-D Secure 2: the issuer either approves
// without friction (status succeeded) or asks for a challenge (status
// requires_action with ChallengeURL, to which the user's browser goes; when
// the challenge ends the browser returns to ReturnURL with ?auth_id=… and
// saifu calls Get to learn the outcome). A declined authorisation is a
// result with status declined and a DeclineCode, not an error.
type Acquirer interface {
	// Card returns what the acquirer knows about a card token.
	// Errors: ErrNotFound, ErrUnavailable.
	Card(ctx context.Context, cardToken string) (CardInfo, error)

	// Verify3DS runs a zero-amount 3-D Secure verification of a card, as
	// at card registration: succeeded, requires_action (challenge) or declined.
	// Errors: ErrNotFound, ErrInvalidRequest, ErrUnavailable.
	Verify3DS(ctx context.Context, cardToken, returnURL string) (AuthResult, error)

	// Authorize reserves Amount on the card with 3-D Secure 2. Idempotent
	// by IdempotencyKey: a repeat returns the same authorisation.
	// Errors: ErrNotFound, ErrIdempotencyKeyReused, ErrInvalidRequest, ErrUnavailable.
	Authorize(ctx context.Context, req AuthRequest) (AuthResult, error)

	// Get returns an authorisation as it is now (after a challenge, say).
	// Errors: ErrNotFound, ErrUnavailable.
	Get(ctx context.Context, authID string) (AuthResult, error)

	// Capture takes up to the authorised amount that is not yet captured.
	// Idempotent by key.
	// Errors: ErrNotFound, ErrIdempotencyKeyReused, ErrInvalidRequest
	// (not succeeded, amount above what is left: code amount_too_large),
	// ErrUnavailable.
	Capture(ctx context.Context, authID string, amount int64, idempotencyKey string) (CardTxn, error)

	// Refund gives back part or all of what was captured; the refunds of an
	// authorisation never exceed its captures. Idempotent by key.
	// Errors: ErrNotFound, ErrIdempotencyKeyReused, ErrInvalidRequest
	// (code amount_too_large), ErrUnavailable.
	Refund(ctx context.Context, authID string, amount int64, idempotencyKey string) (CardTxn, error)

	// Void cancels an authorisation of which nothing was captured, so
	// that the cardholder's money is no longer reserved (a top-up that
	// will not complete). Voiding a voided or declined authorisation
	// answers it as it is. Idempotent by key.
	// Errors: ErrNotFound, ErrInvalidRequest (something was captured:
	// code invalid_state), ErrUnavailable.
	Void(ctx context.Context, authID, idempotencyKey string) (AuthResult, error)
}

// CardInfo describes a tokenised card. Fingerprint is the same for every
// token of the same card number (a keyed hash, not the number), so saifu can
// limit how many accounts register one card.
type CardInfo struct {
	Brand       string // "visa", "mastercard", "jcb", "amex", "diners", "discover", "unknown"
	Last4       string
	ExpMonth    int
	ExpYear     int
	Fingerprint string
}

// AuthRequest asks for an authorisation.
type AuthRequest struct {
	CardToken      string
	Amount         int64  // minor units, > 0
	Currency       string // "JPY" when empty
	IdempotencyKey string // 1–255 printable ASCII
	Force3DS       bool   // ask the issuer for a challenge (saifu's risk rules)
	ReturnURL      string // where the browser goes after a challenge
}

// The statuses of an authorisation.
const (
	AuthSucceeded      = "succeeded"
	AuthRequiresAction = "requires_action"
	AuthDeclined       = "declined"
	AuthVoided         = "voided" // cancelled by the merchant (Void) before any capture
)

// AuthResult is an authorisation (or a zero-amount verification).
type AuthResult struct {
	ID           string
	Status       string // AuthSucceeded, AuthRequiresAction, AuthDeclined or AuthVoided
	ChallengeURL string // with AuthRequiresAction
	DeclineCode  string // with AuthDeclined: card_declined, insufficient_funds, expired_card, incorrect_cvc, authentication_failed
	Amount       int64
	Currency     string
	Captured     int64
	Refunded     int64
}

// CardTxn is a capture or a refund.
type CardTxn struct {
	ID     string
	AuthID string
	Kind   string // "capture" or "refund"
	Amount int64
}
