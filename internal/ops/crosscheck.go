package ops

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
)

// How the user side pays a compensation item (Users.Compensate, which is
// wallet.Compensate): one ledger transfer in scope compensationScope under
// the key compensation:<id>:<user>, from the compensation system account
// to the user's money account. CheckLedger holds the journal to it; the
// tests of `saifu verify` pay items through the real wallet, so a change
// on that side that is not made here fails them.
const (
	compensationScope     = "ops:compensation"
	compensationKeyPrefix = "compensation:"
	compensationDebit     = "system:compensation"
)

func compensationKey(id, userID string) string { return compensationKeyPrefix + id + ":" + userID }

func compensationCredit(userID string) string { return "user:" + userID + ":money" }

// CheckLedger compares every compensation item with its ledger request in
// tx's snapshot (`saifu verify`), as funding's and wallet's CheckLedger
// compare theirs: an item marked paid has exactly one committed transfer
// under its key, of its amount, from the compensation account to the
// user's money; an item of a compensation never approved moved nothing;
// and no committed request under the prefix lacks its item. An approved
// item not yet paid, or paid in the ledger and not yet marked (a crash
// between the two; the job finishes it), is in flight while its approval
// is younger than c.InFlightMax, a problem after; so is a compensation
// whose items are all paid and that is not yet marked paid.
func CheckLedger(ctx context.Context, tx *store.Tx, c *ledger.Crosscheck) error {
	reqs, err := ledger.RequestsWithKeyPrefix(ctx, tx, compensationKeyPrefix)
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT i.compensation_id, i.user_id, i.amount, i.paid_at, c.status, c.approved_at
		FROM ops_compensation_items i JOIN ops_compensations c ON c.id = i.compensation_id`)
	if err != nil {
		return fmt.Errorf("ops: crosscheck compensations: %w", err)
	}
	defer rows.Close()
	// The approved compensations whose items are all paid: when the last
	// item was marked.
	type progress struct {
		unpaid   int
		lastPaid int64
	}
	approved := map[string]*progress{}
	for rows.Next() {
		var id, user, status string
		var amount, paid, approvedAt int64
		if err := rows.Scan(&id, &user, &amount, &paid, &status, &approvedAt); err != nil {
			return fmt.Errorf("ops: crosscheck compensations: %w", err)
		}
		c.Checked++
		ref := ledger.RequestRef{Scope: compensationScope, Key: compensationKey(id, user)}
		r, ok := reqs[ref]
		delete(reqs, ref)
		moved := ok && r.Committed
		if status == CompensationApproved {
			p := approved[id]
			if p == nil {
				p = &progress{}
				approved[id] = p
			}
			if paid == 0 {
				p.unpaid++
			}
			p.lastPaid = max(p.lastPaid, paid)
		}
		item := fmt.Sprintf("compensation %s item %s", id, user)
		if moved {
			switch {
			case r.Transfers != 1:
				c.Problem("%s was paid in %d ledger transfers (transfer %d)", item, r.Transfers, r.FirstTransfer)
			case r.Amount != amount:
				c.Problem("%s of %d was paid %d (transfer %d)", item, amount, r.Amount, r.FirstTransfer)
			case r.Debit != compensationDebit || r.Credit != compensationCredit(user):
				c.Problem("%s was paid from %s to %s (transfer %d), not from %s to %s", item, r.Debit, r.Credit, r.FirstTransfer,
					compensationDebit, compensationCredit(user))
			}
		}
		switch {
		case status != CompensationApproved && status != CompensationPaid:
			if moved || paid > 0 {
				c.Problem("%s is paid (ledger: %d, transfer %d) but the compensation is %s, never approved", item, r.Amount, r.FirstTransfer, status)
			}
		case paid > 0 && !moved:
			c.Problem("%s is marked paid but the ledger paid nothing", item)
		case paid > 0:
			// Paid and marked: its transfer is checked above.
		case status == CompensationPaid:
			c.Problem("%s is not marked paid but its compensation is (ledger: %d)", item, r.Amount)
		case moved:
			c.Pending(time.UnixMilli(approvedAt), "%s is paid in the ledger (transfer %d) but not marked paid", item, r.FirstTransfer)
		default:
			c.Pending(time.UnixMilli(approvedAt), "%s of %d is approved but not paid yet", item, amount)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("ops: crosscheck compensations: %w", err)
	}
	for id, p := range approved {
		if p.unpaid == 0 {
			c.Pending(time.UnixMilli(p.lastPaid), "compensation %s has every item paid but is not marked paid", id)
		}
	}
	for ref, r := range reqs {
		if r.Committed {
			c.Problem("ledger request %s %s (transfer %d, %d) has no compensation item", ref.Scope, ref.Key, r.FirstTransfer, r.Amount)
		}
	}
	return nil
}
