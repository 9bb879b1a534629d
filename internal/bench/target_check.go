package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// targetReplayRetrySeconds bounds the retries of one replayed request.
const targetReplayRetrySeconds = 30

// ErrAckCheck is returned when an acknowledged operation is missing,
// wrong or duplicated, or a replay moved money.
var ErrAckCheck = errors.New("bench: acknowledged operations do not match the database")

// stored is one operation's row.
type stored struct {
	id, status string
	amount     int64
}

// runOps reads the run's operations of one kind by their ref (the
// charges of the run's merchant by order id; the transfers by message,
// which starts with the run's id), and the sum of their amounts.
func runOps(ctx context.Context, db *store.DB, kind, run, merchantID string) (map[string][]stored, int64, error) {
	q, arg := `SELECT id, order_id, amount, status FROM wallet_payments WHERE merchant_id = ?`, merchantID
	if kind == AckedTransfer {
		q, arg = `SELECT id, message, amount, status FROM wallet_transfers WHERE message LIKE ?`, run+"-%"
	}
	rows, err := db.Query(ctx, q, arg)
	if err != nil {
		return nil, 0, fmt.Errorf("bench: read %ss: %w", kind, err)
	}
	defer rows.Close()
	byRef := map[string][]stored{}
	var sum int64
	for rows.Next() {
		var s stored
		var ref string
		if err := rows.Scan(&s.id, &ref, &s.amount, &s.status); err != nil {
			return nil, 0, err
		}
		byRef[ref] = append(byRef[ref], s)
		sum += s.amount
	}
	return byRef, sum, rows.Err()
}

// checkAcked checks the acknowledged operations against the database
// (each present once, with its id, amount and status; no order charged
// and no transfer made twice), then sends every one again with its
// Idempotency-Key and body: each must answer the same operation, and the
// run's operations must be unchanged after.
func checkAcked(ctx context.Context, db *store.DB, hc *http.Client, base, run, merchantID string, acked []Acked, w io.Writer) error {
	var problems []string
	before := map[string]map[string][]stored{}
	sums := map[string]int64{}
	for _, kind := range []string{AckedCharge, AckedTransfer} {
		byRef, sum, err := runOps(ctx, db, kind, run, merchantID)
		if err != nil {
			return err
		}
		before[kind], sums[kind] = byRef, sum
		rows, dup, missing, n := 0, 0, 0, 0
		for ref, ss := range byRef {
			rows += len(ss)
			if len(ss) > 1 {
				dup++
				problems = append(problems, fmt.Sprintf("%s %s made %d times", kind, ref, len(ss)))
			}
		}
		for _, a := range acked {
			if a.Kind != kind {
				continue
			}
			n++
			ss := byRef[a.Ref]
			switch {
			case len(ss) == 0:
				missing++
				problems = append(problems, fmt.Sprintf("acknowledged %s %s (%s, key %s) is not in the database", kind, a.ID, a.Ref, a.Key))
			case ss[0].id != a.ID || ss[0].amount != a.Amount || ss[0].status != a.Status:
				problems = append(problems, fmt.Sprintf("acknowledged %s %s (%s) %d %s is %s %d %s in the database", kind, a.ID, a.Ref, a.Amount, a.Status, ss[0].id, ss[0].amount, ss[0].status))
			}
		}
		fmt.Fprintf(w, "check %ss: %d acknowledged, %d in the database (%d not acknowledged to the client), %d missing, %d made twice\n",
			kind, n, rows, rows-n, missing, dup)
	}

	// Replays: the same key and body must answer the same operation.
	var tl timeline
	replayed := 0
	for _, a := range acked {
		var ans opAnswer
		st, e := targetSend(hc, &tl, targetReplayRetrySeconds*time.Second, base+a.path, a.token, a.Key, a.body, &ans)
		switch {
		case st < 200 || st > 299:
			problems = append(problems, fmt.Sprintf("replay of %s %s (key %s): %d %s", a.Kind, a.ID, a.Key, st, e))
		case ans.id() != a.ID || ans.Status != a.Status:
			problems = append(problems, fmt.Sprintf("replay of %s %s (key %s) answered %s %s", a.Kind, a.ID, a.Key, ans.id(), ans.Status))
		default:
			replayed++
		}
	}
	for _, kind := range []string{AckedCharge, AckedTransfer} {
		after, sum, err := runOps(ctx, db, kind, run, merchantID)
		if err != nil {
			return err
		}
		n0, n1 := 0, 0
		for _, ss := range before[kind] {
			n0 += len(ss)
		}
		for _, ss := range after {
			n1 += len(ss)
		}
		if n0 != n1 || sum != sums[kind] {
			problems = append(problems, fmt.Sprintf("replays moved money: %ss %d → %d, sum %d → %d JPY", kind, n0, n1, sums[kind], sum))
		}
		fmt.Fprintf(w, "after the replays: %ss %d → %d, their sum %d → %d JPY\n", kind, n0, n1, sums[kind], sum)
	}
	fmt.Fprintf(w, "replay: %d of %d acknowledged operations sent again with their Idempotency-Key answered the same operation\n", replayed, len(acked))
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
	fmt.Fprintln(w, "check: OK — every acknowledged payment and transfer is present exactly once and no retry moved money twice")
	return nil
}
