package wallet

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
)

// CheckLedger compares every payment, refund and person-to-person transfer
// with its ledger requests in tx's snapshot (`saifu verify`): a succeeded
// one has exactly one committed request moving its amount, one that ended
// otherwise moved nothing, and no committed request of theirs lacks its
// row. A pending one whose request committed is in flight while younger
// than c.InFlightMax (Reconcile finishes it), a problem after. A transfer
// the risk rules held is compared with its hold, post and void
// (checkHeldTransfer).
func CheckLedger(ctx context.Context, tx *store.Tx, c *ledger.Crosscheck) error {
	kinds := []struct {
		what, prefix, query string
		scope               func(owner string) string
	}{
		{"payment", "payment:", `SELECT id, user_id, amount, status, created_at FROM wallet_payments`, func(o string) string { return "user:" + o }},
		{"refund", "refund:", `SELECT id, merchant_id, amount, status, created_at FROM wallet_refunds`, func(o string) string { return "merchant:" + o }},
	}
	for _, k := range kinds {
		reqs, err := ledger.RequestsWithKeyPrefix(ctx, tx, k.prefix)
		if err != nil {
			return err
		}
		// A payment's key carries its attempt (payment:<id>:<n>); only one
		// attempt may commit. Group the requests by movement id.
		byID := map[string][]ledger.RequestOutcome{}
		for ref, r := range reqs {
			if !r.Committed {
				continue
			}
			id := strings.TrimPrefix(ref.Key, k.prefix)
			if k.what == "payment" {
				if i := strings.LastIndexByte(id, ':'); i >= 0 {
					id = id[:i]
				}
			}
			byID[ref.Scope+"|"+id] = append(byID[ref.Scope+"|"+id], r)
		}
		rows, err := tx.Query(ctx, k.query)
		if err != nil {
			return fmt.Errorf("wallet: crosscheck %ss: %w", k.what, err)
		}
		for rows.Next() {
			var id, owner, status string
			var amount, created int64
			if err := rows.Scan(&id, &owner, &amount, &status, &created); err != nil {
				rows.Close()
				return fmt.Errorf("wallet: crosscheck %ss: %w", k.what, err)
			}
			c.Checked++
			key := k.scope(owner) + "|" + id
			checkMoved(c, k.what, id, status, amount, fromMS(created), byID[key])
			delete(byID, key)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("wallet: crosscheck %ss: %w", k.what, err)
		}
		for key := range byID {
			scope, id, _ := strings.Cut(key, "|")
			c.Problem("ledger request of %s %s (%s) has no row", k.what, id, scope)
		}
	}
	return checkTransfers(ctx, tx, c)
}

// checkMoved compares a movement that moves its money at once, in one
// posted request, with the committed requests got of it.
func checkMoved(c *ledger.Crosscheck, what, id, status string, amount int64, created time.Time, got []ledger.RequestOutcome) {
	var moved int64
	for _, r := range got {
		moved += r.Amount
		if r.Phase != ledger.PhasePosted {
			c.Problem("%s %s: its ledger request is a %s transfer of %d, not a posted one", what, id, r.Phase, r.Amount)
		}
	}
	switch {
	case len(got) > 1:
		c.Problem("%s %s moved money in %d ledger requests", what, id, len(got))
	case status == StatusSucceeded && len(got) == 0:
		c.Problem("%s %s is succeeded but the ledger moved nothing", what, id)
	case status == StatusSucceeded && moved != amount:
		c.Problem("%s %s of %d moved %d in the ledger", what, id, amount, moved)
	case status == StatusPending && len(got) > 0:
		c.Pending(created, "%s %s moved %d in the ledger but is still pending", what, id, moved)
	case status != StatusSucceeded && status != StatusPending && len(got) > 0:
		c.Problem("%s %s is %s but the ledger moved %d", what, id, status, moved)
	}
}
