package funding_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// TestRulesReadTheStoredSession: the new-device rule of money out reads
// the session as stored, not the copy a caller passes in: a copy of a
// fresh password-only session that claims a recognised device and a
// trusted second factor still gets step_up_required for a P2P transfer.
// (Before the services re-read the session, the copy's fields decided.)
// Card and bank top-ups and withdrawals re-read it the same way
// (identity.Service.Current).
func TestRulesReadTheStoredSession(t *testing.T) {
	eachRulesEnv(t, func(t *testing.T, e *rulesEnv) {
		ctx := context.Background()
		e.user(t, "stored-from@example.com", "YAMADA Taro")
		e.user(t, "stored-to@example.com", "SUZUKI Hanako")
		// A password-only sign-in from a device never seen before.
		other := rulesClient
		other.DeviceID, other.IP = "dev-new-9876543210", netip.MustParseAddr("203.0.113.40")
		res, err := e.id.Login(ctx, "stored-from@example.com", "a long enough passphrase 1", other)
		if err != nil {
			t.Fatal(err)
		}
		sess := res.Session
		if sess.MayMoveMoneyOut(e.clock.Now()) {
			t.Fatal("a fresh password-only session may already move money out: the test proves nothing")
		}
		forged := sess
		forged.DeviceRecognisedAt = e.clock.Now().Add(-48 * time.Hour)
		forged.FactorTrustedAt = e.clock.Now().Add(-48 * time.Hour)
		forged.PrivilegedUntil = e.clock.Now().Add(time.Hour)

		_, err = e.wallet.SendMoney(ctx, forged, "stored-to@example.com", 100, "")
		if got := apperr.CodeOf(err); got != apperr.StepUpRequired {
			t.Errorf("P2P from a forged copy: %v (code %q), want %q", err, got, apperr.StepUpRequired)
		}
	})
}
