package main

import (
	"context"
	"time"

	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/wallet/namematch"
)

// fundingJobsEvery is how often held withdrawals are released and
// unfinished top-ups reconciled.
const fundingJobsEvery = 30 * time.Second

// wireFunding builds the funding service (cards, top-ups, bank links,
// withdrawals) on the wallet service w and starts its background loop
// (ReleaseDue + Reconcile). In demo mode its bank and card clients call
// the server's own /sandbox; outside demo mode no real counterparts are
// configured yet, so funding stays off. It also stays off when the public
// URL is unknown (an ephemeral port without --public-url): the bank and
// the card issuer must know where to send the browser back.
//
// Call it from the "wallet wiring" section once the wallet service exists,
// and set Deps.Funding = a.funding.
func (a *app) wireFunding(c *serveConfig, w funding.Wallet) (*funding.Service, error) {
	public := sandboxPublicURL(c)
	if !c.demo || public == "" {
		a.log.Info("funding disabled: needs --demo and a known --public-url")
		return nil, nil
	}
	secret, err := c.serverSecret(a)
	if err != nil {
		return nil, err
	}
	bank, err := connector.NewBankClient(public+"/sandbox/bank", "saifu", nil)
	if err != nil {
		return nil, err
	}
	card, err := connector.NewCardClient(public+"/sandbox/card", "", nil)
	if err != nil {
		return nil, err
	}
	fs, err := funding.New(funding.Config{
		DB: a.db, Ledger: a.ledger, Wallet: w, Users: a.identity, Bank: bank, Acquirer: card,
		Limiter: a.limiter, Outbox: a.outbox, SealKey: derive(secret, "saifu/funding/seal"),
		PublicURL: public, MatchName: namematch.Match, Log: a.log, Fault: faultHook,
	})
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); fs.RunJobs(ctx, fundingJobsEvery, a.log) }()
	a.closers = append(a.closers, func() { stop(); <-done })
	return fs, nil
}
