package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/funding"
)

// TestWithdrawalHoldWords: every reason funding holds a withdrawal for has
// words in both languages, and the held withdrawal's page says the reason
// and the release time in Tokyo — or, for a person's review, that it goes
// once checked (its release_at is only when the review is looked at again).
func TestWithdrawalHoldWords(t *testing.T) {
	s := &server{d: Deps{Log: slog.Default(), CSRFKey: make([]byte, CSRFKeyBytesMin)}, tmpl: mustParseTemplates()}
	release := time.Date(2026, 12, 3, 15, 30, 0, 0, time.UTC) // 00:30 on the 4th in Tokyo
	tests := []struct {
		reason   string
		lang     string
		want     []string
		wantNone string
	}{
		{funding.HoldNewDestination, "ja", []string{"連携したばかりの銀行口座のため", "2026年12月4日 00:30", "この出金を取り消す"}, ""},
		{funding.HoldCoolingOff, "ja", []string{"パスワードやメールアドレスの変更から間もないため", "2026年12月4日 00:30"}, ""},
		{funding.HoldNewDevice, "en", []string{"a device you have not used before", "4 Dec 2026 00:30 JST", "Cancel this withdrawal"}, ""},
		{funding.HoldRiskReview, "ja", []string{"安全のため担当者が確認しています", "担当者の確認が済みしだい"}, "00:30"},
		{funding.HoldRiskReview, "en", []string{"our staff are checking it", "once our staff have checked it"}, "00:30"},
	}
	for _, tt := range tests {
		t.Run(tt.reason+"/"+tt.lang, func(t *testing.T) {
			for _, l := range langs {
				if _, ok := l.msgs["hold."+tt.reason]; !ok {
					t.Errorf("no %s words for hold reason %s", l.code, tt.reason)
				}
			}
			r := httptest.NewRequest("GET", "/withdrawals/wd_1", nil)
			r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, &state{lang: langs[tt.lang], signedIn: true}))
			w := httptest.NewRecorder()
			d := withdrawalData{W: funding.Withdrawal{ID: "wd_1", Amount: 12_345, Status: funding.WithdrawalHeld, HoldReason: tt.reason, ReleaseAt: release, CreatedAt: release.Add(-25*time.Hour - 7*time.Minute)}}
			s.render(w, r, http.StatusOK, "withdrawal", "withdrawal.title", d, "")
			body := w.Body.String()
			for _, want := range tt.want {
				if !strings.Contains(body, want) {
					t.Errorf("the page does not say %q:\n%s", want, body)
				}
			}
			if tt.wantNone != "" && strings.Contains(body, tt.wantNone) {
				t.Errorf("the page shows %q", tt.wantNone)
			}
		})
	}
}
