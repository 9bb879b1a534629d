package sandbox

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDecodeJSONIsStrict: the sandbox decodes with saifu's one strict
// decoder, so a second spelling of a field (another case, an escape) is
// refused with a 400 instead of overriding the first: here a rejected
// document cannot be turned into an approved one.
func TestDecodeJSONIsStrict(t *testing.T) {
	const person = `"full_name":"山田 太郎","birth_date":"1990-04-01"`
	tests := []struct {
		name    string
		body    string
		want    kycRequest
		wantErr bool
	}{
		{name: "exact names", body: `{` + person + `,"document_token":"sandbox-approve"}`,
			want: kycRequest{FullName: "山田 太郎", BirthDate: "1990-04-01", DocumentToken: DocumentApprove}},
		{name: "upper-case twin overrides a rejection", body: `{` + person + `,"document_token":"sandbox-reject","DOCUMENT_TOKEN":"sandbox-approve"}`, wantErr: true},
		{name: "escaped upper-case name", body: `{` + person + `,"\u0044ocument_token":"sandbox-approve"}`, wantErr: true},
		{name: "exact duplicate", body: `{` + person + `,"document_token":"sandbox-reject","document_token":"sandbox-approve"}`, wantErr: true},
		{name: "unknown", body: `{` + person + `,"document_token":"sandbox-approve","nationality":"JP"}`, wantErr: true},
		{name: "trailing", body: `{` + person + `,"document_token":"sandbox-approve"} {}`, wantErr: true},
		{name: "too big", body: `{"full_name":"` + strings.Repeat("a", 64<<10) + `"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/sandbox/kyc/verify", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			var got kycRequest
			err := decodeJSON(r, &got)
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(got, tt.want); diff != "" {
					t.Errorf("(-got +want):\n%s", diff)
				}
				return
			}
			var e *apiError
			if !errors.As(err, &e) || e.status != http.StatusBadRequest || e.code != "invalid_request" {
				t.Fatalf("decodeJSON = %v (%+v), want a 400 invalid_request", err, got)
			}
		})
	}
}
