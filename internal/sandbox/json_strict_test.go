package sandbox_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestSandboxJSONIsStrict: the sandbox decodes with saifu's one strict
// decoder, so a second spelling of a field (another case, a folding rune,
// an escape) is refused instead of overriding the first.
func TestSandboxJSONIsStrict(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		const person = `"full_name":"山田 太郎","birth_date":"1990-04-01"`
		tests := []struct {
			name       string
			body       string
			wantStatus int
		}{
			{"exact names", `{` + person + `,"document_token":"sandbox-approve"}`, http.StatusOK},
			{"upper-case twin overrides a rejection", `{` + person + `,"document_token":"sandbox-reject","DOCUMENT_TOKEN":"sandbox-approve"}`, http.StatusBadRequest},
			{"escaped upper-case name", `{` + person + `,"\u0044ocument_token":"sandbox-approve"}`, http.StatusBadRequest},
			{"exact duplicate", `{` + person + `,"document_token":"sandbox-reject","document_token":"sandbox-approve"}`, http.StatusBadRequest},
			{"unknown", `{` + person + `,"document_token":"sandbox-approve","nationality":"JP"}`, http.StatusBadRequest},
			{"trailing", `{` + person + `,"document_token":"sandbox-approve"} {}`, http.StatusBadRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, err := http.Post(e.url+"/sandbox/kyc/verify", "application/json", strings.NewReader(tt.body))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, b)
				}
				if tt.wantStatus == http.StatusBadRequest && !strings.Contains(string(b), `"invalid_request"`) {
					t.Errorf("refusal %s lacks invalid_request", b)
				}
			})
		}
	})
}
