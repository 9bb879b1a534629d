package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// bodyBytesMax bounds every JSON request body (API.md: over 64 KiB is 400).
const bodyBytesMax = 64 << 10

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

// decode reads a JSON body into a T: at most bodyBytesMax bytes, one object,
// no unknown fields, no duplicate keys, no trailing data; then T's Valid.
func decode[T any](r *http.Request) (T, error) {
	var v T
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return v, apperr.E(apperr.Invalid, "Content-Type must be application/json").JA("Content-Type は application/json にしてください")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, bodyBytesMax))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return v, apperr.E(apperr.Invalid, fmt.Sprintf("request body over %d bytes", bodyBytesMax)).JA("リクエストが大きすぎます")
		}
		return v, apperr.Wrap(apperr.Invalid, "could not read request body", err)
	}
	if err := decodeStrict(body, &v); err != nil {
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

// decodeStrict decodes one JSON value from body into v with the strict rules
// of decode. It is separate from decode so that fuzz tests can reach it.
func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.E(apperr.Invalid, "request body is empty").JA("リクエスト本文が空です")
	}
	if err := checkDuplicateKeys(body); err != nil {
		return apperr.Wrap(apperr.Invalid, err.Error(), err).JA("JSON に重複したキーがあります")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apperr.Wrap(apperr.Invalid, "malformed JSON: "+publicJSONError(err), err).JA("JSON の形式が正しくありません")
	}
	if dec.More() {
		return apperr.E(apperr.Invalid, "trailing data after JSON value").JA("JSON の後に余分なデータがあります")
	}
	return nil
}

func publicJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("field %q must be %s", typeErr.Field, typeErr.Type)
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	}
	return err.Error()
}

// checkDuplicateKeys walks the JSON tokens and fails on an object that names
// a key twice (encoding/json would silently keep the last one).
func checkDuplicateKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		keys  map[string]bool
		isObj bool
		key   bool // next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // syntax errors are reported by the real decode
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				if top != nil && top.isObj {
					top.key = true
				}
				stack = append(stack, &frame{keys: map[string]bool{}, isObj: true, key: true})
			case '[':
				if top != nil && top.isObj {
					top.key = true
				}
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.isObj && top.key {
				if top.keys[t] {
					return fmt.Errorf("duplicate key %q", t)
				}
				top.keys[t] = true
				top.key = false
			} else if top != nil && top.isObj {
				top.key = true
			}
		default:
			if top != nil && top.isObj {
				top.key = true
			}
		}
	}
}
