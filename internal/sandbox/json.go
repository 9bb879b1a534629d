package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/jsonx"
)

// apiError is a refusal in saifu's error shape {"error": {"code", "message"}}.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func fail(status int, code, msg string) *apiError {
	return &apiError{status: status, code: code, message: msg}
}

func invalid(msg string) *apiError { return fail(http.StatusBadRequest, "invalid_request", msg) }

var errNotFound = fail(http.StatusNotFound, "not_found", "no such resource")

// decodeJSON reads one strict JSON object with saifu's one decoder
// (jsonx: application/json, at most 64 KiB, member names matched exactly,
// no unknown or duplicate ones, nothing after it). A refusal is a 400 with
// jsonx's English message.
func decodeJSON(r *http.Request, v any) error {
	if err := jsonx.ReadRequest(r, v); err != nil {
		msg := "malformed JSON body"
		if e, ok := apperr.As(err); ok {
			msg = e.Message
		}
		return invalid(msg)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeErr answers err: an *apiError as itself, anything else as a logged 500.
func (s *Sandbox) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var e *apiError
	if !errors.As(err, &e) {
		s.log.Error("sandbox: internal error", "path", r.URL.Path, "err", err)
		e = fail(http.StatusInternalServerError, "internal", "internal error")
	}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	writeJSON(w, e.status, map[string]any{"error": map[string]string{"code": e.code, "message": e.message}})
}
