package httpapi

import (
	"net/http"
	"strconv"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// statusOf maps an error code to its HTTP status: the one place that does.
func statusOf(c apperr.Code) int {
	switch c {
	case apperr.Invalid, apperr.IdempotencyKeyRequired, apperr.InvalidGrant, apperr.AccessDenied:
		return http.StatusBadRequest
	case apperr.Unauthenticated, apperr.InvalidCredentials:
		return http.StatusUnauthorized
	case apperr.Forbidden, apperr.FourEyesRequired, apperr.RiskDeclined, apperr.ReauthRequired, apperr.StepUpRequired, apperr.KYCRequired, apperr.AccountFrozen:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict, apperr.IdempotencyKeyInUse:
		return http.StatusConflict
	case apperr.IdempotencyKeyReused, apperr.InsufficientFunds, apperr.LimitExceeded:
		return http.StatusUnprocessableEntity
	case apperr.MFARequired:
		return http.StatusUnauthorized
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	case apperr.CapabilityDisabled, apperr.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      apperr.Code       `json:"code"`
	Message   string            `json:"message"`
	MessageJA string            `json:"message_ja,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
	FieldsJA  map[string]string `json:"fields_ja,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// writeError writes err in the contract's error shape. Errors without a
// public code are logged and shown as "internal error" with the request id.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := publicError(r, err)
	if e.RetryAfter > 0 {
		secs := int(e.RetryAfter.Seconds() + 0.999)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
	encode(w, r, statusOf(e.Code), errorBody{Error: errorDetail{
		Code: e.Code, Message: e.Message, MessageJA: e.MessageJA, Fields: e.Fields, FieldsJA: fieldsJA(e.Fields, e.FieldsJA),
		RequestID: requestIDFrom(r),
	}})
}

// publicError returns what may be shown of err, logging what may not:
// errors without a public code become "internal error".
func publicError(r *http.Request, err error) *apperr.Error {
	e, ok := apperr.As(err)
	if !ok || e.Code == apperr.Internal {
		loggerFrom(r).Error("internal error", "err", err)
		return apperr.E(apperr.Internal, "internal error").JA("内部エラーが発生しました")
	}
	if e.Err != nil && statusOf(e.Code) >= 500 {
		loggerFrom(r).Warn("request failed", "code", e.Code, "err", e.Err)
	}
	return e
}

// handlerFunc is a handler that returns its error instead of writing it:
// ServeHTTP writes a non-nil error in the contract's shape (writeError), in
// one place. A handler returns an error only before it has written
// anything; once it has answered, it returns nil.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (f handlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := f(w, r); err != nil {
		writeError(w, r, err)
	}
}
