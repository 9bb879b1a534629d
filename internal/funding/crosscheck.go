package funding

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
)

// CheckLedger compares every top-up and withdrawal with its ledger
// requests in tx's snapshot (`saifu verify`): a succeeded top-up has its
// committed credit of the same amount (the transfer on its row), one that
// ended otherwise moved nothing; a withdrawal has its hold, a succeeded one
// the hold posted, a failed or cancelled one the hold voided, a held one
// neither; and no committed request of theirs lacks its row. A movement
// still processing counts as in flight while younger than c.InFlightMax.
func CheckLedger(ctx context.Context, tx *store.Tx, c *ledger.Crosscheck) error {
	if err := checkTopups(ctx, tx, c); err != nil {
		return err
	}
	return checkWithdrawals(ctx, tx, c)
}

func checkTopups(ctx context.Context, tx *store.Tx, c *ledger.Crosscheck) error {
	reqs, err := ledger.RequestsWithKeyPrefix(ctx, tx, "topup:")
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT id, amount, status, transfer_id, updated_at FROM funding_topups`)
	if err != nil {
		return fmt.Errorf("funding: crosscheck top-ups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, status string
		var amount, transferID, updated int64
		if err := rows.Scan(&id, &amount, &status, &transferID, &updated); err != nil {
			return fmt.Errorf("funding: crosscheck top-ups: %w", err)
		}
		c.Checked++
		ref := ledger.RequestRef{Scope: "funding", Key: "topup:" + id}
		r, ok := reqs[ref]
		delete(reqs, ref)
		moved := ok && r.Committed
		switch status {
		case StatusSucceeded:
			switch {
			case !moved:
				c.Problem("top-up %s is succeeded but the ledger credited nothing", id)
			case r.Amount != amount:
				c.Problem("top-up %s of %d was credited %d", id, amount, r.Amount)
			case r.FirstTransfer != transferID:
				c.Problem("top-up %s names transfer %d, its credit is transfer %d", id, transferID, r.FirstTransfer)
			}
		case StatusProcessing, StatusRequiresAction:
			if moved {
				c.Pending(fromMS(updated), "top-up %s is credited (transfer %d) but still %s", id, r.FirstTransfer, status)
			}
		default:
			if moved {
				c.Problem("top-up %s is %s but the ledger credited %d (transfer %d)", id, status, r.Amount, r.FirstTransfer)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("funding: crosscheck top-ups: %w", err)
	}
	for ref, r := range reqs {
		if r.Committed {
			c.Problem("ledger request %s %s (transfer %d, %d) has no top-up", ref.Scope, ref.Key, r.FirstTransfer, r.Amount)
		}
	}
	return nil
}

func checkWithdrawals(ctx context.Context, tx *store.Tx, c *ledger.Crosscheck) error {
	reqs, err := ledger.RequestsWithKeyPrefix(ctx, tx, "withdrawal:")
	if err != nil {
		return err
	}
	type row struct {
		id, status                      string
		amount, holdID, holdSeq, update int64
	}
	rows, err := tx.Query(ctx, `SELECT id, amount, status, hold_transfer_id, hold_seq, updated_at FROM funding_withdrawals`)
	if err != nil {
		return fmt.Errorf("funding: crosscheck withdrawals: %w", err)
	}
	var ws []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.amount, &r.status, &r.holdID, &r.holdSeq, &r.update); err != nil {
			rows.Close()
			return fmt.Errorf("funding: crosscheck withdrawals: %w", err)
		}
		ws = append(ws, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("funding: crosscheck withdrawals: %w", err)
	}
	for _, w := range ws {
		c.Checked++
		if err := checkWithdrawal(ctx, tx, c, reqs, w.id, w.status, w.amount, w.holdID, w.holdSeq, fromMS(w.update)); err != nil {
			return err
		}
	}
	// A hold whose row was never written is voided at once (StartWithdrawal).
	orphans := map[string][]string{}
	for ref, r := range reqs {
		if r.Committed {
			id, step, _ := strings.Cut(strings.TrimPrefix(ref.Key, "withdrawal:"), ":")
			orphans[id] = append(orphans[id], step)
		}
	}
	for id, steps := range orphans {
		if len(steps) == 2 && (steps[0] == "void" || steps[1] == "void") && (steps[0] == "hold" || steps[1] == "hold") {
			continue
		}
		if len(steps) == 1 && steps[0] == "hold" {
			r := reqs[ledger.RequestRef{Scope: "funding", Key: "withdrawal:" + id + ":hold"}]
			c.Pending(r.CreatedAt, "ledger hold of withdrawal %s has no row and is not voided", id)
			continue
		}
		c.Problem("ledger requests %v of withdrawal %s have no row", steps, id)
	}
	return nil
}

// checkWithdrawal compares one withdrawal with its requests (taking them
// out of reqs): its first hold and each renewal up to hold_seq (a void of
// the previous hold and a new hold, in one request), the hold the row
// names being the last of them, posted if it succeeded, voided (or timed
// out) if it failed or was cancelled, neither while it is held.
func checkWithdrawal(ctx context.Context, tx *store.Tx, c *ledger.Crosscheck, reqs map[ledger.RequestRef]ledger.RequestOutcome,
	id, status string, amount, holdID, holdSeq int64, since time.Time) error {
	get := func(key string) (ledger.RequestOutcome, bool) {
		ref := ledger.RequestRef{Scope: "funding", Key: key}
		r, ok := reqs[ref]
		delete(reqs, ref)
		return r, ok && r.Committed
	}
	hold, held := get(holdKey(id, 0))
	current := hold.FirstTransfer
	for n := int64(1); n <= holdSeq; n++ {
		r, ok := get(holdKey(id, n))
		if !ok {
			c.Problem("withdrawal %s names renewal %d of its hold, the ledger has none", id, n)
			return nil
		}
		if r.Amount != 2*amount {
			c.Problem("withdrawal %s of %d: renewal %d moved %d", id, amount, n, r.Amount)
		}
		current = r.FirstTransfer + 1 // the renewal's second leg is the new hold
	}
	if _, ok := get(holdKey(id, holdSeq+1)); ok {
		c.Pending(since, "withdrawal %s: its hold was renewed, the row does not name the new one yet", id)
		return nil
	}
	var posted, voided bool
	var post, void ledger.RequestOutcome
	for n := int64(0); n <= holdSeq; n++ {
		if r, ok := get(stepKey(id, "post", n)); ok {
			if n != holdSeq || posted {
				c.Problem("withdrawal %s: hold %d was posted, it is not the withdrawal's last hold", id, n)
			}
			post, posted = r, true
		}
		if r, ok := get(stepKey(id, "void", n)); ok && n == holdSeq {
			void, voided = r, true
		} else if ok {
			c.Problem("withdrawal %s: hold %d was voided apart from a renewal", id, n)
		}
	}
	switch {
	case !held && holdID == 0 && status == WithdrawalFailed:
		// The row comes before its hold: the ledger refused the hold
		// (insufficient funds) and the withdrawal failed, nothing moved.
		return nil
	case !held && holdID == 0 && status == WithdrawalProcessing:
		c.Pending(since, "withdrawal %s is recorded but its hold is not placed yet", id)
		return nil
	case !held:
		c.Problem("withdrawal %s (%s) has no hold in the ledger", id, status)
		return nil
	case hold.Amount != amount || current != holdID:
		c.Problem("withdrawal %s of %d names hold %d, the ledger holds %d in transfer %d", id, amount, holdID, hold.Amount, current)
	case posted && voided:
		c.Problem("withdrawal %s: its hold was both posted and voided", id)
		return nil
	case posted && post.Amount != amount:
		c.Problem("withdrawal %s of %d was paid out %d", id, amount, post.Amount)
	case voided && void.Amount != amount:
		c.Problem("withdrawal %s of %d had %d given back", id, amount, void.Amount)
	}
	switch status {
	case WithdrawalSucceeded:
		if !posted {
			c.Problem("withdrawal %s is succeeded but its hold was not posted", id)
		}
	case WithdrawalFailed, WithdrawalCancelled:
		if posted {
			c.Problem("withdrawal %s is %s but its hold was posted: the money left", id, status)
			return nil
		}
		if voided {
			return nil
		}
		expired, err := ledger.HoldExpired(ctx, tx, holdID)
		if err != nil {
			return err
		}
		if !expired {
			c.Pending(since, "withdrawal %s is %s but its hold is still open", id, status)
		}
	case WithdrawalHeld:
		if posted || voided {
			c.Problem("withdrawal %s is held but its hold was already %s", id, map[bool]string{true: "posted", false: "voided"}[posted])
		}
	case WithdrawalProcessing:
		if posted || voided {
			c.Pending(since, "withdrawal %s is ended in the ledger but still processing", id)
		}
	default:
		c.Problem("withdrawal %s has unknown status %q", id, status)
	}
	return nil
}
