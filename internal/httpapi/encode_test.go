package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/apperr"
)

type sampleReq struct {
	Email  string `json:"email"`
	Amount int64  `json:"amount"`
	Source string `json:"source"`
	Kind   string `json:"kind"`
}

func (r *sampleReq) Valid() map[string]string {
	if r.Amount <= 0 {
		return map[string]string{"amount": "must be positive"}
	}
	return nil
}

func TestDecodeRejectsBadBodies(t *testing.T) {
	tests := []struct {
		name, body, contentType string
		wantOK                  bool
	}{
		{"valid", `{"email":"a@b.jp","amount":5}`, "application/json", true},
		{"unknown field", `{"email":"a@b.jp","amount":5,"birth_date":"1990-01-01"}`, "application/json", false},
		{"duplicate key", `{"amount":5,"amount":500000}`, "application/json", false},
		{"duplicate key that differs in case", `{"amount":1,"AMOUNT":7}`, "application/json", false},
		{"key in another case", `{"AMOUNT":7}`, "application/json", false},
		{"escaped key in another case", `{"\u0041mount":7}`, "application/json", false},
		{"key with a long s (U+017F folds to s)", `{"amount":1,"ſource":"x"}`, "application/json", false},
		{"key with a kelvin sign (U+212A folds to k)", `{"amount":1,"\u212Aind":"x"}`, "application/json", false},
		{"escaped exact key", `{"\u0061mount":5}`, "application/json", true},
		{"nested duplicate ok at different levels", `{"amount":5,"email":"x"}`, "", true},
		{"wrong type", `{"amount":"5"}`, "application/json", false},
		{"fraction", `{"amount":5.5}`, "application/json", false},
		{"overflow", `{"amount":99999999999999999999}`, "application/json", false},
		{"negative", `{"amount":-5}`, "application/json", false},
		{"trailing data", `{"amount":5} {"amount":6}`, "application/json", false},
		{"empty", ``, "application/json", false},
		{"not json", `amount=5`, "application/json", false},
		{"wrong content type", `{"amount":5}`, "text/plain", false},
		{"too big", `{"email":"` + strings.Repeat("a", bodyBytesMax) + `","amount":5}`, "application/json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/x", strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			_, err := decode[sampleReq](r)
			if tt.wantOK && err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !tt.wantOK {
				if err == nil {
					t.Fatal("decode accepted a bad body")
				}
				if c := apperr.CodeOf(err); c != apperr.Invalid {
					t.Fatalf("code = %s, want invalid_request", c)
				}
			}
		})
	}
}

// FuzzDecodeStrict: decode never panics, never accepts an object with a
// duplicate key, and never accepts a top-level name that is not exactly one
// of sampleReq's.
func FuzzDecodeStrict(f *testing.F) {
	f.Add(`{"email":"a@b.jp","amount":5}`)
	f.Add(`{"amount":5,"amount":6}`)
	f.Add(`{"amount":5,"AMOUNT":6}`)
	f.Add(`{"\u0041mount":5}`)
	f.Add(`{"a":{"b":1,"b":2}}`)
	f.Add(`[1,2,{"x":1}]`)
	f.Fuzz(func(t *testing.T, s string) {
		r := httptest.NewRequest("POST", "/x", strings.NewReader(s))
		if _, err := decode[sampleReq](r); err != nil {
			return
		}
		names, dup := objectNames([]byte(s))
		if dup != "" {
			t.Fatalf("accepted a body with the duplicate key %q: %q", dup, s)
		}
		for _, n := range names {
			switch n {
			case "email", "amount", "source", "kind":
			default:
				t.Fatalf("accepted the name %q, which is no field's exact name: %q", n, s)
			}
		}
	})
}

// objectNames is the fuzz oracle, written independently of the decoder
// with encoding/json's tokenizer: the top-level object's member names
// (unescaped), and the first name that any object repeats exactly.
func objectNames(body []byte) (top []string, dup string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		keys  map[string]bool
		isObj bool
		key   bool // the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return top, dup
		}
		var cur *frame
		if len(stack) > 0 {
			cur = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if cur != nil && cur.isObj && cur.key {
			k := tok.(string)
			if cur.keys[k] && dup == "" {
				dup = k
			}
			cur.keys[k], cur.key = true, false
			if len(stack) == 1 {
				top = append(top, k)
			}
			continue
		}
		if cur != nil && cur.isObj {
			cur.key = true // a value was read; a key comes next
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, isObj: true, key: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		}
	}
}

// TestAccepts: a media type is accepted when the Accept header lists it
// with a weight above zero.
func TestAccepts(t *testing.T) {
	tests := []struct {
		accept string
		want   bool
	}{
		{"text/csv", true},
		{"application/json, text/csv;q=0.5", true},
		{"text/csv;q=0, application/json", false},
		{"text/csv; q=0.0", false},
		{"application/json", false},
		{"", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/ops/api/search", nil)
		r.Header.Set("Accept", tt.accept)
		if got := accepts(r, "text/csv"); got != tt.want {
			t.Errorf("Accept %q: accepts text/csv = %v, want %v", tt.accept, got, tt.want)
		}
	}
}
