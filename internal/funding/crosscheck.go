package funding

import (
	"context"
	"fmt"
	"strings"

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
	rows, err := tx.Query(ctx, `SELECT id, amount, status, hold_transfer_id, updated_at FROM funding_withdrawals`)
	if err != nil {
		return fmt.Errorf("funding: crosscheck withdrawals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, status string
		var amount, holdID, updated int64
		if err := rows.Scan(&id, &amount, &status, &holdID, &updated); err != nil {
			return fmt.Errorf("funding: crosscheck withdrawals: %w", err)
		}
		c.Checked++
		get := func(step string) (ledger.RequestOutcome, bool) {
			ref := ledger.RequestRef{Scope: "funding", Key: "withdrawal:" + id + ":" + step}
			r, ok := reqs[ref]
			delete(reqs, ref)
			return r, ok && r.Committed
		}
		hold, held := get("hold")
		post, posted := get("post")
		void, voided := get("void")
		since := fromMS(updated)
		switch {
		case !held && holdID == 0 && status == WithdrawalFailed:
			// The row comes before its hold: the ledger refused the hold
			// (insufficient funds) and the withdrawal failed, nothing moved.
			continue
		case !held && holdID == 0 && status == WithdrawalProcessing:
			c.Pending(since, "withdrawal %s is recorded but its hold is not placed yet", id)
			continue
		case !held:
			c.Problem("withdrawal %s (%s) has no hold in the ledger", id, status)
			continue
		case hold.Amount != amount || hold.FirstTransfer != holdID:
			c.Problem("withdrawal %s of %d names hold %d, the ledger holds %d in transfer %d", id, amount, holdID, hold.Amount, hold.FirstTransfer)
		case posted && voided:
			c.Problem("withdrawal %s: its hold was both posted and voided", id)
			continue
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
			} else if !voided {
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
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("funding: crosscheck withdrawals: %w", err)
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
