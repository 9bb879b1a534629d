package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/apperr"
)

type sampleReq struct {
	Email  string `json:"email"`
	Amount int64  `json:"amount"`
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

// FuzzDecodeStrict: never panics, and never accepts an object with a
// duplicate key.
func FuzzDecodeStrict(f *testing.F) {
	f.Add(`{"email":"a@b.jp","amount":5}`)
	f.Add(`{"amount":5,"amount":6}`)
	f.Add(`{"a":{"b":1,"b":2}}`)
	f.Add(`[1,2,{"x":1}]`)
	f.Fuzz(func(t *testing.T, s string) {
		var v sampleReq
		if err := decodeStrict([]byte(s), &v); err != nil {
			return
		}
		if checkDuplicateKeys([]byte(s)) != nil {
			t.Fatalf("accepted a body with a duplicate key: %q", s)
		}
	})
}
