package identity

import (
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/notify"
)

// TestTemplatesRender renders every identity mail in Japanese and English
// with exactly the data the flows pass (a key a template uses but the flow
// lacks is an error), and checks that no notice carries a link.
func TestTemplatesRender(t *testing.T) {
	tests := []struct {
		tmpl string
		data map[string]any
		want string // must appear in the body
	}{
		{tmplSignupCode, map[string]any{"Code": "123456", "Minutes": 15}, "123456"},
		{tmplSignupExisting, map[string]any{"IP": "192.0.2.1"}, "192.0.2.1"},
		{tmplNewDevice, map[string]any{"IP": "192.0.2.1", "UserAgent": "ua/1", "Time": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, "ua/1"},
		{tmplResetToken, map[string]any{"Token": "tok_abc", "Minutes": 30, "IP": "192.0.2.1"}, "tok_abc"},
		{tmplResetDone, map[string]any{"IP": "192.0.2.1", "Hours": 72, "CoolingOffUntil": time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC)}, "72"},
		{tmplPasswordChanged, map[string]any{"IP": "192.0.2.1"}, "192.0.2.1"},
		{tmplFactorAdded, map[string]any{"Factor": "totp", "IP": "192.0.2.1"}, "192.0.2.1"},
		{tmplFactorRemoved, map[string]any{"Factor": "passkey", "IP": "192.0.2.1"}, "192.0.2.1"},
		{tmplRecoveryUsed, map[string]any{"Left": 9, "IP": "192.0.2.1"}, "9"},
		{tmplEmailChangeCode, map[string]any{"Code": "654321", "Minutes": 15}, "654321"},
		{tmplEmailChangeOld, map[string]any{"NewEmail": "new@example.com", "CancelCode": "cancel_xyz", "Hours": 72, "IP": "192.0.2.1"}, "cancel_xyz"},
		{tmplEmailChanged, map[string]any{"OldEmail": "old@example.com", "NewEmail": "new@example.com", "Hours": 72, "IP": "192.0.2.1"}, "new@example.com"},
		{tmplEmailCancelled, map[string]any{"IP": "192.0.2.1"}, "192.0.2.1"},
		{tmplAccountHeld, map[string]any{"OldEmail": "old@example.com", "NewEmail": "new@example.com", "IP": "192.0.2.1"}, "new@example.com"},
		{tmplHoldResolved, map[string]any{"KeptEmail": "old@example.com"}, "old@example.com"},
	}
	for _, tt := range tests {
		for _, lang := range []string{"ja", "en"} {
			data := map[string]any{"Email": "user@example.com", "AntiPhishing": "blue fox"}
			for k, v := range tt.data {
				data[k] = v
			}
			subject, body, err := notify.Render(tt.tmpl, lang, data)
			if err != nil {
				t.Errorf("%s.%s: %v", tt.tmpl, lang, err)
				continue
			}
			if subject == "" || !strings.Contains(body, tt.want) || !strings.Contains(body, "blue fox") {
				t.Errorf("%s.%s: subject %q, body lacks %q or the phrase:\n%s", tt.tmpl, lang, subject, tt.want, body)
			}
			if strings.Contains(strings.ToLower(body), "http") {
				t.Errorf("%s.%s carries a link:\n%s", tt.tmpl, lang, body)
			}
		}
	}
}
