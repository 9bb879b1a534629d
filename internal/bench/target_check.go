package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// targetReplayRetrySeconds bounds the retries of one replayed charge.
const targetReplayRetrySeconds = 30

// ErrAckCheck is returned when an acknowledged payment is missing, wrong
// or duplicated, or a replay moved money.
var ErrAckCheck = errors.New("bench: acknowledged payments do not match the database")

// merchantPayments reads the merchant's payments by order id.
func merchantPayments(ctx context.Context, db *store.DB, merchantID string) (map[string][]chargeAnswer, int64, error) {
	rows, err := db.Query(ctx, `SELECT id, order_id, amount, status FROM wallet_payments WHERE merchant_id = ?`, merchantID)
	if err != nil {
		return nil, 0, fmt.Errorf("bench: read payments: %w", err)
	}
	defer rows.Close()
	byOrder := map[string][]chargeAnswer{}
	var succeeded int64
	for rows.Next() {
		var p chargeAnswer
		var order string
		if err := rows.Scan(&p.ChargeID, &order, &p.Amount, &p.Status); err != nil {
			return nil, 0, err
		}
		byOrder[order] = append(byOrder[order], p)
		if p.Status == wallet.StatusSucceeded {
			succeeded += p.Amount
		}
	}
	return byOrder, succeeded, rows.Err()
}

// checkAcked checks the acknowledged payments against the database (each
// present once, with its id and amount, succeeded; no order charged
// twice), then sends every one again with its Idempotency-Key and body:
// each must answer the same charge, and the merchant's payments must be
// unchanged after.
func checkAcked(ctx context.Context, db *store.DB, hc *http.Client, base, merchantKey, merchantID string, acked []Acked, w io.Writer) error {
	byOrder, sumBefore, err := merchantPayments(ctx, db, merchantID)
	if err != nil {
		return err
	}
	var problems []string
	dup := 0
	rows := 0
	for order, ps := range byOrder {
		rows += len(ps)
		if len(ps) > 1 {
			dup++
			problems = append(problems, fmt.Sprintf("order %s charged %d times", order, len(ps)))
		}
	}
	missing := 0
	for _, a := range acked {
		ps := byOrder[a.OrderID]
		switch {
		case len(ps) == 0:
			missing++
			problems = append(problems, fmt.Sprintf("acknowledged charge %s (order %s, key %s) is not in the database", a.ChargeID, a.OrderID, a.Key))
		case ps[0].ChargeID != a.ChargeID || ps[0].Amount != a.Amount || ps[0].Status != wallet.StatusSucceeded:
			problems = append(problems, fmt.Sprintf("acknowledged charge %s (order %s) is %s %d %s in the database", a.ChargeID, a.OrderID, ps[0].ChargeID, ps[0].Amount, ps[0].Status))
		}
	}
	fmt.Fprintf(w, "check: %d acknowledged, %d in the database for the merchant (%d not acknowledged to the client), %d missing, %d orders charged twice\n",
		len(acked), rows, rows-len(acked), missing, dup)

	// Replays: the same key and body must answer the same charge.
	var tl timeline
	replayed, differ := 0, 0
	for _, a := range acked {
		var ch chargeAnswer
		st, e := targetSend(hc, &tl, targetReplayRetrySeconds*time.Second, base+"/api/v1/merchant/charges", merchantKey, a.Key, a.body, &ch)
		switch {
		case st != http.StatusCreated:
			differ++
			problems = append(problems, fmt.Sprintf("replay of %s (key %s): %d %s", a.ChargeID, a.Key, st, e))
		case ch.ChargeID != a.ChargeID || ch.Status != wallet.StatusSucceeded:
			differ++
			problems = append(problems, fmt.Sprintf("replay of %s (key %s) answered %s %s", a.ChargeID, a.Key, ch.ChargeID, ch.Status))
		default:
			replayed++
		}
	}
	after, sumAfter, err := merchantPayments(ctx, db, merchantID)
	if err != nil {
		return err
	}
	rowsAfter := 0
	for _, ps := range after {
		rowsAfter += len(ps)
	}
	if rowsAfter != rows || sumAfter != sumBefore {
		problems = append(problems, fmt.Sprintf("replays moved money: payments %d → %d, succeeded sum %d → %d JPY", rows, rowsAfter, sumBefore, sumAfter))
	}
	fmt.Fprintf(w, "replay: %d of %d acknowledged charges sent again with their Idempotency-Key answered the same charge; payments %d → %d, succeeded %d → %d JPY\n",
		replayed, len(acked), rows, rowsAfter, sumBefore, sumAfter)
	if len(problems) > 0 {
		for i, p := range problems {
			if i == 20 {
				fmt.Fprintf(w, "  … and %d more\n", len(problems)-20)
				break
			}
			fmt.Fprintln(w, "  "+p)
		}
		return ErrAckCheck
	}
	fmt.Fprintln(w, "check: OK — every acknowledged payment is present exactly once and no retry moved money twice")
	return nil
}
