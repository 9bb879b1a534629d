package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLeaveTo: a counterpart on saifu's own origin (the demo sandbox) is
// a redirect; one elsewhere is a page with a link to it (a form's
// redirect off this origin is refused by form-action 'self'); a URL that
// is not absolute http(s) is an internal error, never a link.
func TestLeaveTo(t *testing.T) {
	s := &server{d: Deps{PublicURL: "https://wallet.example", Log: slog.Default(), CSRFKey: make([]byte, CSRFKeyBytesMin)}, tmpl: mustParseTemplates()}
	tests := []struct {
		name       string
		target     string
		wantStatus int
		wantErr    bool
	}{
		{"own origin", "https://wallet.example/sandbox/bank/0001/authorize?x=1", http.StatusSeeOther, false},
		{"another origin", "https://bank.example/authorize?state=s&x=1", http.StatusOK, false},
		{"same host, other scheme", "http://wallet.example/x", http.StatusOK, false},
		{"javascript", "javascript:alert(1)", 0, true},
		{"relative", "/x", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			err := s.leaveTo(w, httptest.NewRequest("POST", "/banks", nil), tt.target)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", w.Code, tt.wantStatus)
			}
			switch tt.wantStatus {
			case http.StatusSeeOther:
				if w.Header().Get("Location") != tt.target {
					t.Errorf("Location = %q", w.Header().Get("Location"))
				}
			case http.StatusOK:
				if !strings.Contains(w.Body.String(), `id="leave" href="`+strings.ReplaceAll(tt.target, "&", "&amp;")+`"`) {
					t.Errorf("no link to %s:\n%s", tt.target, w.Body.String())
				}
			}
		})
	}
}
