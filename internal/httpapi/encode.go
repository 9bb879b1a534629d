package httpapi

import (
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/jsonx"
)

// bodyBytesMax bounds every JSON request body (API.md: over 64 KiB is 400).
const bodyBytesMax = jsonx.BodyBytesMax

// Validator is implemented by request types that check their own fields.
type Validator interface {
	// Valid returns field → problem; empty when the request is valid.
	Valid() map[string]string
}

func encode(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v == nil {
		return
	}
	if err := json.NewEncoder(w).Encode(v); err != nil {
		loggerFrom(r).Error("encode response", "err", err)
	}
}

// decode reads a JSON body into a T with jsonx's strict rules (at most
// bodyBytesMax bytes, one object, member names matched exactly, no unknown
// or duplicate ones, nothing after it), then runs T's Valid.
func decode[T any](r *http.Request) (T, error) {
	var v T
	if err := jsonx.ReadRequest(r, &v); err != nil {
		return v, err
	}
	if val, ok := any(&v).(Validator); ok {
		if problems := val.Valid(); len(problems) > 0 {
			e := apperr.E(apperr.Invalid, "invalid request").JA("入力内容に誤りがあります")
			e.Fields = problems
			return v, e
		}
	}
	return v, nil
}

// accepts reports whether the request's Accept header lists one of
// mediaTypes (exactly; parameters aside) with a weight above zero.
func accepts(r *http.Request, mediaTypes ...string) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || !slices.Contains(mediaTypes, mt) {
			continue
		}
		// q=0 says "not this one" (RFC 9110, 12.4.2).
		if q, err := strconv.ParseFloat(params["q"], 64); err == nil && q == 0 {
			continue
		}
		return true
	}
	return false
}
