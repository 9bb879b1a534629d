package wallet

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
)

// checkTransfers compares every transfer with its ledger requests, both
// ways: "p2p:<id>" (the movement, or the hold of one the risk rules held),
// and for a held one "p2p:<id>:post" or "p2p:<id>:void".
func checkTransfers(ctx context.Context, tx *store.Tx, c *ledger.Crosscheck) error {
	reqs, err := ledger.RequestsWithKeyPrefix(ctx, tx, "p2p:")
	if err != nil {
		return err
	}
	// scope|id → step ("" for the movement or hold, "post", "void").
	byID := map[string]map[string]ledger.RequestOutcome{}
	for ref, r := range reqs {
		if !r.Committed {
			continue
		}
		id, step, _ := strings.Cut(strings.TrimPrefix(ref.Key, "p2p:"), ":")
		key := ref.Scope + "|" + id
		if byID[key] == nil {
			byID[key] = map[string]ledger.RequestOutcome{}
		}
		byID[key][step] = r
	}
	rows, err := tx.Query(ctx, `SELECT id, from_user, amount, status, review, created_at, decided_at FROM wallet_transfers`)
	if err != nil {
		return fmt.Errorf("wallet: crosscheck transfers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, from, status, review string
		var amount, created, decided int64
		if err := rows.Scan(&id, &from, &amount, &status, &review, &created, &decided); err != nil {
			return fmt.Errorf("wallet: crosscheck transfers: %w", err)
		}
		c.Checked++
		key := "user:" + from + "|" + id
		got := byID[key]
		delete(byID, key)
		if review != "" {
			checkHeldTransfer(c, id, status, review, amount, fromMS(created), fromMS(decided), got)
			continue
		}
		var moved []ledger.RequestOutcome
		for step, r := range got {
			if step != "" {
				c.Problem("transfer %s was never held, yet the ledger has its %s", id, step)
				continue
			}
			moved = append(moved, r)
		}
		checkMoved(c, "transfer", id, status, amount, fromMS(created), moved)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("wallet: crosscheck transfers: %w", err)
	}
	for key, got := range byID {
		scope, id, _ := strings.Cut(key, "|")
		steps := make([]string, 0, len(got))
		for step := range got {
			name := "p2p:" + id
			if step != "" {
				name += ":" + step
			}
			steps = append(steps, name)
		}
		sort.Strings(steps)
		c.Problem("ledger request of transfer %s (%s) has no row: %v", id, scope, steps)
	}
	return nil
}

// checkHeldTransfer compares a transfer the risk rules held with its
// committed requests got: a hold of its amount once it is held, posted
// when it succeeded (approved), voided when it was rejected, neither while
// it waits for review; a decided one still held is in flight (Reconcile
// finishes it) for c.InFlightMax after its decision.
func checkHeldTransfer(c *ledger.Crosscheck, id, status, review string, amount int64, created, decided time.Time, got map[string]ledger.RequestOutcome) {
	hold, held := got[""]
	post, posted := got["post"]
	void, voided := got["void"]
	for step := range got {
		if step != "" && step != "post" && step != "void" {
			c.Problem("transfer %s has an unknown ledger step %q", id, step)
		}
	}
	switch {
	case held && (hold.Phase != ledger.PhasePending || hold.Amount != amount):
		c.Problem("transfer %s of %d held for review: its ledger request is a %s transfer of %d, not a hold of it", id, amount, hold.Phase, hold.Amount)
		return
	case (posted || voided) && !held:
		c.Problem("transfer %s: the ledger resolved a hold the transfer never placed", id)
		return
	case posted && voided:
		c.Problem("transfer %s: its hold was both posted and voided", id)
		return
	case posted && (post.Phase != ledger.PhasePost || post.PendingID != hold.FirstTransfer || post.Amount != amount):
		c.Problem("transfer %s of %d: its post is a %s of %d resolving transfer %d, its hold is transfer %d", id, amount, post.Phase, post.Amount, post.PendingID, hold.FirstTransfer)
	case voided && (void.Phase != ledger.PhaseVoid || void.PendingID != hold.FirstTransfer):
		c.Problem("transfer %s: its void is a %s resolving transfer %d, its hold is transfer %d", id, void.Phase, void.PendingID, hold.FirstTransfer)
	}
	switch status {
	case StatusPending:
		switch {
		case posted || voided:
			c.Problem("transfer %s is pending but its hold was already resolved", id)
		case held:
			c.Pending(created, "transfer %s is held in the ledger but still pending", id)
		}
	case StatusHeld:
		switch {
		case !held:
			c.Problem("transfer %s is held but the ledger holds nothing", id)
		case review == reviewWaiting && (posted || voided):
			c.Problem("transfer %s waits for review but its hold was already resolved", id)
		case (review == reviewApproved && voided) || (review == reviewRejected && posted):
			c.Problem("transfer %s was %s but its hold was %s", id, review, map[bool]string{true: "posted", false: "voided"}[posted])
		case posted || voided:
			c.Pending(decided, "transfer %s was %s and its hold resolved, but it is still held", id, review)
		}
	case StatusSucceeded:
		if !posted || review != reviewApproved {
			c.Problem("transfer %s (review %s) is succeeded but its hold was not posted", id, review)
		}
	case StatusRejected:
		if !voided || review != reviewRejected {
			c.Problem("transfer %s (review %s) is rejected but its hold was not voided", id, review)
		}
	case StatusDeclined, StatusFailed:
		if held {
			c.Problem("transfer %s is %s but the ledger holds %d for it", id, status, hold.Amount)
		}
	default:
		c.Problem("transfer %s has unknown status %q", id, status)
	}
}
