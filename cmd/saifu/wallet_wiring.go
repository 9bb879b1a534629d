package main

import (
	"fmt"

	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// newWallet builds the wallet service on the ledger l. In demo mode its
// eKYC provider is the server's own sandbox (<public URL>/sandbox/kyc);
// outside demo mode no provider is configured yet and POST /api/v1/kyc
// answers 503 unavailable.
//
// Wire it at "--- wallet wiring ---" (after wireMerchants):
//
//	if a.wallet, err = a.newWallet(c, a.ledger); err != nil { return nil, err }
//
// and set Deps.Wallet = a.wallet (and pass a.wallet to wireFunding).
func (a *app) newWallet(c *serveConfig, l *ledger.Ledger) (*wallet.Service, error) {
	cfg := wallet.Config{Merchants: a.merchants, Webhooks: a.webhooks, Log: a.log, Fault: faultHook}
	if c.demo {
		if public := sandboxPublicURL(c); public != "" {
			kyc, err := connector.NewKYCClient(public+"/sandbox/kyc", "", nil)
			if err != nil {
				return nil, fmt.Errorf("wallet: eKYC client: %w", err)
			}
			cfg.KYC = kyc
		}
	}
	return wallet.New(a.db, l, a.identity, a.outbox, cfg), nil
}
