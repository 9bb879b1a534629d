// Package idem keeps the idempotency records of API requests and ties a
// money operation to the request that started it.
//
// An API request carrying an Idempotency-Key holds a claim on its record
// (Records.Begin; table idem_records, this package's migrations) while it
// runs: a lease owned by one process, which a dead process cannot renew
// (Records.KeepAlive renews it). It ends with Records.Finish (the answer,
// sealed, kept for replay) or Records.Release (outcome unknown); Prune
// forgets records older than a day. The clock is injected (New).
// The request's context carries the claim (With); a domain service that
// creates an operation (a payment, a refund, a transfer, a top-up, a
// withdrawal, a card, …) calls Bind in the very transaction that writes the
// operation's row. So the record names the operation exactly when the
// operation exists, and a retry after a crash can find it and return its
// real outcome (after the reconciler finished it) instead of running it a
// second time.
//
// Bind is fenced by the lease: a request whose lease was taken over by a
// retry binds nothing and its transaction fails, so two runs of one key
// never both create an operation. Outside an API request (no claim in the
// context) Bind does nothing.
//
// A record keeps an answer only once its request bound an operation: a
// request refused before that leaves nothing, and a retry runs anew.
//
// The package knows nothing of HTTP; internal/httpapi holds the protocol
// (keys, request hashes, which answers are finished or released).
package idem

import (
	"context"
	"errors"
	"fmt"

	"github.com/saifu-pay/saifu/internal/store"
)

// Operation kinds that domain services bind.
const (
	KindPayment     = "payment"
	KindRefund      = "refund"
	KindTransfer    = "transfer"
	KindTopup       = "topup"
	KindWithdrawal  = "withdrawal"
	KindCard        = "card"
	KindBankLink    = "bank_link"
	KindPaymentCode = "payment_code"
	// KindWebhookSecret: a merchant's new webhook signing secret (its id is
	// the merchant's); not recovered, a retry after a crash makes another.
	KindWebhookSecret = "webhook_secret"
)

// Claim is a running request's hold on its idempotency record.
type Claim struct {
	Scope string // the caller ("user:…", "merchant:…")
	Key   string // the Idempotency-Key
	Owner string // the lease's owner: this process and request
}

// ErrLeaseLost is returned by Bind when the claim's lease was taken over
// by another request with the same key (this one ran past its lease).
var ErrLeaseLost = errors.New("idem: the idempotency lease was taken over by a retry")

type ctxKey struct{}

// With returns ctx carrying c.
func With(ctx context.Context, c *Claim) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// From returns the claim ctx carries, or nil.
func From(ctx context.Context) *Claim {
	c, _ := ctx.Value(ctxKey{}).(*Claim)
	return c
}

// Bind records, in tx (the transaction that creates the operation's row),
// that the claim's request started operation kind/id. A nil claim does
// nothing. It fails with ErrLeaseLost when the claim no longer holds the
// record, so that the operation is not created.
func (c *Claim) Bind(ctx context.Context, tx *store.Tx, kind, id string) error {
	if c == nil {
		return nil
	}
	res, err := tx.Exec(ctx, `UPDATE idem_records SET op_kind = ?, op_id = ?
		WHERE scope = ? AND idem_key = ? AND state = 'running' AND lease_owner = ?`, kind, id, c.Scope, c.Key, c.Owner)
	if err != nil {
		return fmt.Errorf("idem: bind %s %s: %w", kind, id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return ErrLeaseLost
	}
	return nil
}
