package wallet

import (
	"context"
	"fmt"
	"strings"

	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
)

// CheckLedger compares every payment, refund and person-to-person transfer
// with its ledger requests in tx's snapshot (`saifu verify`): a succeeded
// one has exactly one committed request moving its amount, one that ended
// otherwise moved nothing, and no committed request of theirs lacks its
// row. A pending one whose request committed is in flight while younger
// than c.InFlightMax (Reconcile finishes it), a problem after.
func CheckLedger(ctx context.Context, tx *store.Tx, c *ledger.Crosscheck) error {
	kinds := []struct {
		what, prefix, query string
		scope               func(owner string) string
	}{
		{"payment", "payment:", `SELECT id, user_id, amount, status, created_at FROM wallet_payments`, func(o string) string { return "user:" + o }},
		{"refund", "refund:", `SELECT id, merchant_id, amount, status, created_at FROM wallet_refunds`, func(o string) string { return "merchant:" + o }},
		{"transfer", "p2p:", `SELECT id, from_user, amount, status, created_at FROM wallet_transfers`, func(o string) string { return "user:" + o }},
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
			got := byID[key]
			delete(byID, key)
			var moved int64
			for _, r := range got {
				moved += r.Amount
			}
			switch {
			case len(got) > 1:
				c.Problem("%s %s moved money in %d ledger requests", k.what, id, len(got))
			case status == StatusSucceeded && len(got) == 0:
				c.Problem("%s %s is succeeded but the ledger moved nothing", k.what, id)
			case status == StatusSucceeded && moved != amount:
				c.Problem("%s %s of %d moved %d in the ledger", k.what, id, amount, moved)
			case status == StatusPending && len(got) > 0:
				c.Pending(fromMS(created), "%s %s moved %d in the ledger but is still pending", k.what, id, moved)
			case status != StatusSucceeded && status != StatusPending && len(got) > 0:
				c.Problem("%s %s is %s but the ledger moved %d", k.what, id, status, moved)
			}
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
	return nil
}
