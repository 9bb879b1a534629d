package jsonx

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/apperr"
)

type source struct {
	Type   string `json:"type"`
	CardID string `json:"card_id"`
}

type topup struct {
	Amount   int64             `json:"amount"`
	Source   source            `json:"source"`
	Items    []source          `json:"items"`
	Metadata map[string]string `json:"metadata"`
	Kind     string            `json:"kind"`
}

// TestDecode: every name matches a field exactly or the body is refused,
// at the top level and inside nested objects, arrays of objects and maps.
func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    topup
		wantErr string // substring of the public message; empty: accepted
	}{
		{name: "valid", body: `{"amount":5,"source":{"type":"card","card_id":"c1"}}`,
			want: topup{Amount: 5, Source: source{Type: "card", CardID: "c1"}}},
		{name: "escaped name that unescapes to the exact name", body: `{"\u0061mount":5}`, want: topup{Amount: 5}},
		{name: "map keys that differ in case are distinct", body: `{"metadata":{"a":"1","A":"2"}}`,
			want: topup{Metadata: map[string]string{"a": "1", "A": "2"}}},

		{name: "duplicate", body: `{"amount":1,"amount":7}`, wantErr: `duplicate key "amount"`},
		{name: "duplicate spelled with an escape", body: `{"amount":1,"\u0061mount":7}`, wantErr: `duplicate key "amount"`},
		{name: "upper-case twin", body: `{"amount":1,"AMOUNT":7}`, wantErr: `unknown field "AMOUNT"`},
		{name: "upper-case alone", body: `{"AMOUNT":7}`, wantErr: `unknown field "AMOUNT"`},
		{name: "escape that unescapes to another case", body: `{"\u0041mount":7}`, wantErr: `unknown field "Amount"`},
		{name: "long s folds to s", body: `{"source":{"type":"card","card_id":"c1"},"ſource":{"type":"bank"}}`, wantErr: `unknown field "ſource"`},
		{name: "nested duplicate", body: `{"metadata":{},"amount":1,"source":{"type":"card","card_id":"c1","card_id":"c2"}}`, wantErr: `duplicate key "source.card_id"`},
		{name: "kelvin sign folds to k", body: `{"\u212Aind":"refund"}`, wantErr: "unknown field \"\u212Aind\""},
		{name: "nested upper-case twin", body: `{"amount":1,"source":{"type":"card","TYPE":"bank"}}`, wantErr: `unknown field "source.TYPE"`},
		{name: "nested in an array", body: `{"items":[{"type":"card"},{"Type":"bank"}]}`, wantErr: `unknown field "items.1.Type"`},
		{name: "duplicate map key", body: `{"metadata":{"a":"1","a":"2"}}`, wantErr: `duplicate key "metadata.a"`},
		{name: "unknown", body: `{"amount":1,"birth_date":"1990-01-01"}`, wantErr: `unknown field "birth_date"`},
		{name: "wrong type", body: `{"amount":"5"}`, wantErr: `field "amount" must be int64`},
		{name: "fraction", body: `{"amount":5.5}`, wantErr: `field "amount" must be int64`},
		{name: "overflow", body: `{"amount":99999999999999999999}`, wantErr: `field "amount" must be int64`},
		{name: "trailing data", body: `{"amount":5} {"amount":6}`, wantErr: "syntax error"},
		{name: "invalid UTF-8", body: "{\"metadata\":{\"a\":\"\xff\"}}", wantErr: "syntax error"},
		{name: "empty", body: "  ", wantErr: "empty"},
		{name: "null", body: `null`, wantErr: "must be an object"},
		{name: "array", body: `[{"amount":1}]`, wantErr: "must be an object"},
		{name: "not JSON", body: `amount=5`, wantErr: "must be an object"},
		{name: "long unknown name is cut", body: `{"` + strings.Repeat("x", 1000) + `":1}`, wantErr: strings.Repeat("x", nameBytesMax) + `…"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got topup
			err := Decode([]byte(tt.body), &got)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Decode(%s): %v", tt.body, err)
				}
				if diff := cmp.Diff(got, tt.want); diff != "" {
					t.Errorf("Decode(%s) (-got +want):\n%s", tt.body, diff)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Invalid {
				t.Fatalf("Decode(%s) = %v (%+v), want an invalid_request refusal", tt.body, err, got)
			}
			if !strings.Contains(e.Message, tt.wantErr) {
				t.Errorf("message = %q, want it to contain %q", e.Message, tt.wantErr)
			}
			if e.MessageJA == "" {
				t.Errorf("no Japanese message for %q", e.Message)
			}
		})
	}
}

// TestDecodeAnswer ignores unknown members but is as strict on the rest.
func TestDecodeAnswer(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    source
		wantErr bool
	}{
		{name: "unknown ignored", body: `{"type":"card","card_id":"c1","brand":"visa"}`, want: source{Type: "card", CardID: "c1"}},
		{name: "other case is not the field", body: `{"type":"card","CARD_ID":"c9"}`, want: source{Type: "card"}},
		{name: "duplicate", body: `{"type":"card","type":"bank"}`, wantErr: true},
		{name: "trailing", body: `{"type":"card"}x`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got source
			err := DecodeAnswer([]byte(tt.body), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("DecodeAnswer(%s) = %v, wantErr %v", tt.body, err, tt.wantErr)
			}
			if err == nil {
				if diff := cmp.Diff(got, tt.want); diff != "" {
					t.Errorf("(-got +want):\n%s", diff)
				}
			}
		})
	}
}
