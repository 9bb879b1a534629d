package app

import (
	"context"
	"fmt"

	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/wallet"
	"github.com/saifu-pay/saifu/internal/wallet/namematch"
)

// buildSandbox creates and seeds the sandbox counterparts (bank, card
// acquirer, eKYC) in demo mode only; they are mounted under /sandbox/.
func (a *App) buildSandbox(ctx context.Context) error {
	if !a.cfg.Demo {
		return nil
	}
	sb, err := sandbox.New(a.DB, a.sandboxSMS, a.cfg.PublicURL, a.Log)
	if err != nil {
		return err
	}
	if a.cfg.Now != nil {
		sb.SetClock(a.cfg.Now)
	}
	sb.SetFaults(a.cfg.SandboxFaults)
	if err := sb.Seed(ctx); err != nil {
		return fmt.Errorf("seed sandbox: %w", err)
	}
	a.Sandbox = sb
	return nil
}

// sandboxSMS is how the sandbox bank and card issuer send their one-time
// codes "by SMS": into the notify mailbox, readable at
// GET /sandbox/api/messages?to=+81….
func (a *App) sandboxSMS(ctx context.Context, to, subject, body string) error {
	if a.Mailbox == nil {
		return fmt.Errorf("sandbox SMS to %s: no mailbox (demo mode only)", to)
	}
	return a.Mailbox.Send(ctx, notify.Message{To: to, Channel: notify.ChannelSMS, Subject: subject, Body: body})
}

// buildLedger opens the ledger's committer; Close flushes it.
func (a *App) buildLedger(context.Context) error {
	o := ledger.Options{Log: a.Log, Now: a.cfg.Now}
	if a.Metrics != nil {
		o.ObserveBatch = a.Metrics.ObserveBatch
	}
	a.Ledger = ledger.Open(a.DB, o)
	a.closers = append(a.closers, a.Ledger.Close)
	return nil
}

// buildMerchants builds the merchant service, sealing webhook secrets
// with a key derived from the server secret, and makes it the webhook
// queue's source of endpoints.
func (a *App) buildMerchants(context.Context) error {
	a.Merchants = merchant.New(a.DB, a.now, merchant.WithSealKey(a.keys.merchantSeal))
	if a.Webhooks != nil {
		// Every delivery attempt signs with the merchant's current secret
		// and goes to its current URL (PUT /api/v1/merchant/webhook).
		a.Webhooks.SetEndpoints(a.Merchants)
	}
	return nil
}

// buildWallet builds the wallet service on the ledger. In demo mode its
// eKYC provider is the server's own sandbox (<public URL>/sandbox/kyc);
// outside demo mode no provider is configured yet and POST /api/v1/kyc
// answers 503 unavailable.
func (a *App) buildWallet(context.Context) error {
	cfg := wallet.Config{Now: a.cfg.Now, Limits: a.cfg.WalletLimits, Merchants: a.Merchants, Webhooks: a.Webhooks, Log: a.Log, Fault: a.cfg.Fault,
		Controls: a.Controls, Risk: a.decider(), PaymentCodeTTL: a.cfg.PaymentCodeTTL}
	if a.cfg.Demo && a.cfg.PublicURL != "" {
		kyc, err := connector.NewKYCClient(a.cfg.PublicURL+"/sandbox/kyc", "", nil)
		if err != nil {
			return fmt.Errorf("eKYC client: %w", err)
		}
		cfg.KYC = kyc
	}
	a.Wallet = wallet.New(a.DB, a.Ledger, a.Identity, a.Outbox, cfg)
	return nil
}

// buildFunding builds the funding service (cards, top-ups, bank links,
// withdrawals) on the wallet. In demo mode its bank and card clients call
// the server's own /sandbox; outside demo mode no real counterparts are
// configured yet, so funding stays off. It also stays off when the public
// URL is unknown: the bank and the card issuer must know where to send
// the browser back.
func (a *App) buildFunding(context.Context) error {
	public := a.cfg.PublicURL
	if !a.cfg.Demo || public == "" {
		a.Log.Info("funding disabled: needs --demo and a known --public-url")
		return nil
	}
	bank, err := connector.NewBankClient(public+"/sandbox/bank", "saifu", nil)
	if err != nil {
		return err
	}
	if a.cfg.Now != nil {
		bank.SetClock(a.cfg.Now)
	}
	card, err := connector.NewCardClient(public+"/sandbox/card", "", nil)
	if err != nil {
		return err
	}
	a.Funding, err = funding.New(funding.Config{
		DB: a.DB, Ledger: a.Ledger, Wallet: a.Wallet, Users: a.Identity, Bank: bank, Acquirer: card,
		Limiter: a.Limiter, Outbox: a.Outbox, SealKey: a.keys.fundingSeal,
		PublicURL: public, MatchName: namematch.Match, Limits: a.cfg.FundingLimits, Now: a.cfg.Now,
		Log: a.Log, Fault: a.cfg.Fault, Risk: a.decider(),
	})
	return err
}

// buildRisk builds the risk engine and, on a new database, publishes the
// default rules (once, whichever node starts first); with RiskOff it
// builds none.
func (a *App) buildRisk(ctx context.Context) error {
	if a.cfg.RiskOff {
		a.Log.Warn("risk engine off: no decision before money moves (benchmarks only)")
		return nil
	}
	a.Risk = risk.New(a.DB, a.cfg.Now)
	rules := a.cfg.RiskRules
	if rules == nil {
		rules = risk.DefaultRules()
	}
	return a.Risk.Seed(ctx, rules)
}

// decider is the risk engine as wallet and funding take it: a nil
// interface, not a nil *risk.Engine, when there is none.
func (a *App) decider() risk.Decider {
	if a.Risk == nil {
		return nil
	}
	if a.Metrics != nil {
		return observedDecider{Decider: a.Risk, m: a.Metrics}
	}
	return a.Risk
}
