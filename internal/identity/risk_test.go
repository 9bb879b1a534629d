package identity_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestRiskFeatures: what identity tells the risk engine follows the
// account's history: its age and KYC, failed sign-ins of the last hour
// from unknown devices, and the hours since a password reset (Never
// before one).
func TestRiskFeatures(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, mb, clk := newService(t, db)
		u := signup(t, svc, mb, "risk@example.com")
		first, err := svc.Login(ctx, "risk@example.com", pw, client)
		if err != nil {
			t.Fatal(err)
		}
		pick := func(f risk.Features, names ...string) map[string]any {
			out := map[string]any{}
			for _, n := range names {
				out[n] = f[n]
			}
			return out
		}
		names := []string{"account_age_hours", "kyc_verified", "failures_1h", "hours_since_password_reset"}
		got, err := svc.RiskFeatures(ctx, first.Session)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"account_age_hours": int64(0), "kyc_verified": false,
			"failures_1h": int64(0), "hours_since_password_reset": risk.Never}
		if diff := cmp.Diff(pick(got, names...), want); diff != "" {
			t.Errorf("after sign-up (-got +want):\n%s", diff)
		}

		clk.Advance(50 * time.Hour)
		if err := svc.SetKYC(ctx, u.ID, identity.KYCVerified, "YAMADA TARO", "1990-01-01"); err != nil {
			t.Fatal(err)
		}
		other, err := svc.Login(ctx, "risk@example.com", pw, client)
		if err != nil {
			t.Fatal(err)
		}
		stranger := client
		stranger.IP, stranger.DeviceID = netip.MustParseAddr("203.0.113.77"), "dev-stranger-0123456789"
		for range 2 {
			svc.Login(ctx, "risk@example.com", "wrong password", stranger)
		}
		got, err = svc.RiskFeatures(ctx, other.Session)
		if err != nil {
			t.Fatal(err)
		}
		want = map[string]any{"account_age_hours": int64(50), "kyc_verified": true,
			"failures_1h": int64(2), "hours_since_password_reset": risk.Never}
		if diff := cmp.Diff(pick(got, names...), want); diff != "" {
			t.Errorf("later, after failures from a stranger (-got +want):\n%s", diff)
		}

		token := resetToken(t, svc, mb, "risk@example.com")
		if err := svc.ResetPassword(ctx, token, "another long passphrase 2", "", client); err != nil {
			t.Fatal(err)
		}
		clk.Advance(3 * time.Hour)
		after, err := svc.Login(ctx, "risk@example.com", "another long passphrase 2", client)
		if err != nil {
			t.Fatal(err)
		}
		if got, err = svc.RiskFeatures(ctx, after.Session); err != nil || got["hours_since_password_reset"] != int64(3) {
			t.Errorf("3 h after a reset: %v, %v", got["hours_since_password_reset"], err)
		}
		if _, err := svc.RiskFeatures(ctx, first.Session); err == nil {
			t.Error("features of a session the reset ended")
		}
	})
}
