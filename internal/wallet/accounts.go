package wallet

import (
	"context"
	"fmt"
	"regexp"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ledger"
)

// The system accounts mirroring the outside world.
const (
	SystemCardAcquirer = "card_acquirer"
	SystemFees         = "fees"
	SystemCompensation = "compensation"
)

// SystemBank names the system account of the bank with code.
func SystemBank(code string) string { return "bank:" + code }

var systemNameRE = regexp.MustCompile(`^(card_acquirer|fees|compensation|bank:[0-9]{4})$`)

// account returns the ledger account code, creating it on first use.
func (s *Service) account(ctx context.Context, code string, kind ledger.AccountKind) (ledger.Account, error) {
	if a, ok := s.accounts.Load(code); ok {
		return a.(ledger.Account), nil
	}
	a, err := s.ledger.CreateAccount(ctx, code, kind, s.currency)
	if err != nil {
		return ledger.Account{}, fmt.Errorf("wallet: account %s: %w", code, err)
	}
	s.accounts.Store(code, a)
	return a, nil
}

// Accounts returns the user's money and money-lite ledger accounts
// ("user:<id>:money", "user:<id>:lite"), creating them on first use. The
// balances in the returned accounts are those of their creation or of the
// first lookup: read Balance (or ledger.Account) for current balances.
func (s *Service) Accounts(ctx context.Context, userID string) (money, lite ledger.Account, err error) {
	if userID == "" {
		return money, lite, apperr.E(apperr.Invalid, "no user")
	}
	if money, err = s.account(ctx, "user:"+userID+":money", ledger.UserMoney); err != nil {
		return
	}
	lite, err = s.account(ctx, "user:"+userID+":lite", ledger.UserMoneyLite)
	return
}

// SystemAccount returns the system account "system:<name>" (name is one of
// card_acquirer, fees, compensation, or SystemBank(code)), creating it on
// first use. System accounts may go negative: they mirror money outside.
func (s *Service) SystemAccount(ctx context.Context, name string) (ledger.Account, error) {
	if !systemNameRE.MatchString(name) {
		return ledger.Account{}, apperr.E(apperr.Invalid, fmt.Sprintf("unknown system account %q", name))
	}
	return s.account(ctx, "system:"+name, ledger.System)
}

// MerchantAccount returns the merchant's ledger account ("merchant:<id>"),
// creating it on first use and recording it on the merchant.
func (s *Service) MerchantAccount(ctx context.Context, merchantID string) (ledger.Account, error) {
	code := "merchant:" + merchantID
	if a, ok := s.accounts.Load(code); ok {
		return a.(ledger.Account), nil
	}
	a, err := s.account(ctx, code, ledger.Merchant)
	if err != nil {
		return a, err
	}
	if s.merchants != nil {
		if err := s.merchants.SetLedgerAccount(ctx, merchantID, a.ID); err != nil {
			return a, fmt.Errorf("wallet: record merchant account: %w", err)
		}
	}
	return a, nil
}

// balances reads the current available balances of the user's accounts.
func (s *Service) balances(ctx context.Context, userID string) (money, lite ledger.Account, err error) {
	m, l, err := s.Accounts(ctx, userID)
	if err != nil {
		return m, l, err
	}
	if money, err = s.ledger.Account(ctx, m.ID); err != nil {
		return
	}
	lite, err = s.ledger.Account(ctx, l.ID)
	return
}
