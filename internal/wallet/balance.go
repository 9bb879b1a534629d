package wallet

import (
	"context"
	"fmt"
	"maps"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity"
)

// Balance is what GET /api/v1/wallet shows.
type Balance struct {
	Currency  string               `json:"currency"`
	Money     int64                `json:"money"`
	MoneyLite int64                `json:"money_lite"`
	Total     int64                `json:"total"`
	KYCStatus string               `json:"kyc_status"`
	Limits    map[string]FlowLimit `json:"limits"`
	// Used is what the rolling day and month already used, per flow.
	Used map[string]Usage `json:"used"`
}

// Usage is a flow's use of its rolling windows.
type Usage struct {
	Day   int64 `json:"day"`
	Month int64 `json:"month"`
}

// Balance returns the user's available balances (posted minus held) and
// limits.
func (s *Service) Balance(ctx context.Context, userID string) (Balance, error) {
	u, err := s.id.User(ctx, userID)
	if err != nil {
		return Balance{}, err
	}
	money, lite, err := s.balances(ctx, userID)
	if err != nil {
		return Balance{}, err
	}
	limits := maps.Clone(s.LimitsFor(u.KYCStatus))
	own, err := s.UserLimits(ctx, userID)
	if err != nil {
		return Balance{}, err
	}
	for _, l := range own {
		// As reserve applies them: never on a flow the level keeps shut.
		if lvl, ok := limits[l.Flow]; ok && (lvl.PerTransaction > 0 || u.KYCStatus == identity.KYCVerified) {
			limits[l.Flow] = l.FlowLimit
		}
	}
	b := Balance{
		Currency: s.currency, Money: money.Available(), MoneyLite: lite.Available(),
		KYCStatus: u.KYCStatus, Limits: limits, Used: map[string]Usage{},
	}
	b.Total = b.Money + b.MoneyLite
	for flow := range b.Limits {
		d, m, err := s.usage(ctx, userID, flow)
		if err != nil {
			return Balance{}, err
		}
		b.Used[flow] = Usage{Day: d, Month: m}
	}
	return b, nil
}

// MerchantBalance is what GET /api/v1/merchant/balance shows, in integer
// minor units of Currency, read from the merchant's ledger account.
type MerchantBalance struct {
	// Available is posted minus what open holds reserve: what refunds
	// can draw on now.
	Available int64
	// Pending is what open ledger holds promise the account and is not
	// posted yet (no flow of saifu holds money for a merchant today, so it
	// is 0 until payouts with a settlement delay exist). A charge whose
	// own status is pending is in neither figure until it succeeds.
	Pending  int64
	Currency string
}

// MerchantBalance reads the merchant's ledger account; a merchant that
// never took a payment has no account yet and a zero balance (the read
// creates nothing).
func (s *Service) MerchantBalance(ctx context.Context, merchantID string) (MerchantBalance, error) {
	b := MerchantBalance{Currency: s.currency}
	a, err := s.ledger.AccountByCode(ctx, "merchant:"+merchantID)
	if apperr.CodeOf(err) == apperr.NotFound {
		return b, nil
	}
	if err != nil {
		return MerchantBalance{}, fmt.Errorf("wallet: merchant balance: %w", err)
	}
	b.Available, b.Pending, b.Currency = a.Available(), a.PendingCredits, a.Currency
	return b, nil
}

// Left is what flow may still move now under the user's limits: the least
// of the room left in its rolling day and rolling month, never below
// zero; 0 for a flow the limits do not allow (a zero limit) or do not
// name.
func (b Balance) Left(flow string) int64 {
	l, ok := b.Limits[flow]
	if !ok || l.PerDay <= 0 || l.PerMonth <= 0 || l.PerTransaction <= 0 {
		return 0
	}
	u := b.Used[flow]
	return max(min(l.PerDay-u.Day, l.PerMonth-u.Month), 0)
}
