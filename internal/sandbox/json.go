package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// bodyBytesMax bounds every request body the sandbox reads.
const bodyBytesMax = 64 << 10

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

// decodeJSON reads one strict JSON object: application/json, at most
// bodyBytesMax bytes, no unknown fields, no duplicate keys (encoding/json
// would keep the last one silently), nothing after it.
func decodeJSON(r *http.Request, v any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return invalid("Content-Type must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, bodyBytesMax))
	if err != nil {
		return invalid(fmt.Sprintf("body unreadable or over %d bytes", bodyBytesMax))
	}
	if duplicateKeys(body) {
		return invalid("duplicate key in JSON body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid("malformed JSON body")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("trailing data after JSON body")
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

// duplicateKeys reports whether any object in body names a key twice.
// Syntax errors are left to the real decode.
func duplicateKeys(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		keys      map[string]bool
		expectKey bool
	}
	var stack []*frame // nil entries are arrays
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		isKey := top != nil && top.expectKey
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if isKey {
			k := tok.(string)
			if top.keys[k] {
				return true
			}
			top.keys[k], top.expectKey = true, false
			continue
		}
		if top != nil {
			top.expectKey = true // a value was read; next comes a key
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, expectKey: true})
		case json.Delim('['):
			stack = append(stack, nil)
		}
	}
}
