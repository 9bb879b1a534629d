package wallet

import (
	"context"
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
	b := Balance{
		Currency: s.currency, Money: money.Available(), MoneyLite: lite.Available(),
		KYCStatus: u.KYCStatus, Limits: s.LimitsFor(u.KYCStatus), Used: map[string]Usage{},
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
