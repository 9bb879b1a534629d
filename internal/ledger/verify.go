package ledger

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/saifu-pay/saifu/internal/store"
)

// problemsMax bounds the problems a report lists (all are counted).
const problemsMax = 100

// Report is what Verify found.
type Report struct {
	Transfers int64
	Requests  int64
	Accounts  int64
	OpenHolds int64
	// Sums is Σ posted balances per currency: zero when sound.
	Sums          map[string]int64
	ProblemsTotal int
	Problems      []string
}

// OK reports whether no invariant was violated.
func (r *Report) OK() bool { return r.ProblemsTotal == 0 }

func (r *Report) problem(format string, args ...any) {
	r.ProblemsTotal++
	if len(r.Problems) < problemsMax {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Print writes the report for people.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "journal entries: %d\nrequests:        %d\naccounts:        %d\nopen holds:      %d\n", r.Transfers, r.Requests, r.Accounts, r.OpenHolds)
	curs := make([]string, 0, len(r.Sums))
	for c := range r.Sums {
		curs = append(curs, c)
	}
	sort.Strings(curs)
	for _, c := range curs {
		fmt.Fprintf(w, "sum of balances in %s: %d\n", c, r.Sums[c])
	}
	if r.OK() {
		fmt.Fprintln(w, "OK: hash chain intact, balances match the journal, every currency sums to zero, no user or merchant account below zero, holds consistent")
		return
	}
	fmt.Fprintf(w, "FAILED: %d problem(s)\n", r.ProblemsTotal)
	for _, p := range r.Problems {
		fmt.Fprintln(w, "  -", p)
	}
	if r.ProblemsTotal > len(r.Problems) {
		fmt.Fprintf(w, "  … and %d more\n", r.ProblemsTotal-len(r.Problems))
	}
}

type verifyAccount struct {
	posted, pendingDebits, pendingCredits int64
}

// Verify recomputes everything from the journal and compares it with the
// stored state: the hash chain and dense ids, running balances, account
// balances, zero sums per currency, no negative user or merchant account,
// holds resolved at most once and within their amount, the journal head,
// and every committed request's transfers. It reads one consistent snapshot.
func Verify(ctx context.Context, db *store.DB) (*Report, error) {
	r := &Report{Sums: map[string]int64{}}
	err := db.Read(ctx, func(tx *store.Tx) error { return verify(ctx, tx, r) })
	return r, err
}

func verify(ctx context.Context, tx *store.Tx, r *Report) error {
	calc := map[int64]*verifyAccount{}
	acct := func(id int64) *verifyAccount {
		a := calc[id]
		if a == nil {
			a = &verifyAccount{}
			calc[id] = a
		}
		return a
	}
	holds := map[int64]*holdInfo{}
	perRequest := map[int64]int{}
	prev := genesisHash
	var last int64
	rows, err := tx.Query(ctx, `SELECT id, request_id, kind, phase, debit_account_id, credit_account_id, amount, currency,
		COALESCE(pending_id, 0), COALESCE(linked_id, 0), COALESCE(expires_at, 0), metadata, debit_posted_after, credit_posted_after, created_at, hash
		FROM ledger_transfers ORDER BY id`)
	if err != nil {
		return fmt.Errorf("ledger: verify: read journal: %w", err)
	}
	for rows.Next() {
		var e entry
		var phase string
		if err := rows.Scan(&e.id, &e.requestID, &e.kind, &phase, &e.debit, &e.credit, &e.amount, &e.currency,
			&e.pendingID, &e.linkedID, &e.expiresAt, &e.metadata, &e.debitAfter, &e.creditAfter, &e.createdAt, &e.hash); err != nil {
			rows.Close()
			return fmt.Errorf("ledger: verify: scan: %w", err)
		}
		e.phase = Phase(phase)
		r.Transfers++
		perRequest[e.requestID]++
		if e.id != last+1 {
			r.problem("journal id %d follows %d: entries missing", e.id, last)
		}
		last = e.id
		if want := chain(prev, &e); want != e.hash {
			r.problem("journal entry %d: hash mismatch (entry altered, or chain broken)", e.id)
		}
		prev = e.hash
		if e.amount <= 0 && e.phase != PhaseVoid && e.phase != PhaseExpire {
			r.problem("journal entry %d: non-positive amount %d", e.id, e.amount)
		}
		d, c := acct(e.debit), acct(e.credit)
		switch e.phase {
		case PhasePosted:
			d.posted -= e.amount
			c.posted += e.amount
		case PhasePending:
			d.pendingDebits += e.amount
			c.pendingCredits += e.amount
			holds[e.id] = &holdInfo{id: e.id, debit: e.debit, credit: e.credit, amount: e.amount, currency: e.currency}
		case PhasePost, PhaseVoid, PhaseExpire:
			h := holds[e.pendingID]
			switch {
			case h == nil:
				r.problem("journal entry %d resolves %d, which is not a hold", e.id, e.pendingID)
			case h.resolved:
				r.problem("journal entry %d resolves hold %d a second time", e.id, e.pendingID)
			case h.debit != e.debit || h.credit != e.credit || h.currency != e.currency:
				r.problem("journal entry %d resolves hold %d with other accounts or currency", e.id, e.pendingID)
			case e.phase == PhasePost && e.amount > h.amount:
				r.problem("journal entry %d posts %d of hold %d of only %d", e.id, e.amount, e.pendingID, h.amount)
			case e.phase != PhasePost && e.amount != h.amount:
				r.problem("journal entry %d releases %d of hold %d of %d", e.id, e.amount, e.pendingID, h.amount)
			}
			if h != nil && !h.resolved {
				h.resolved = true
				d.pendingDebits -= h.amount
				c.pendingCredits -= h.amount
			}
			if e.phase == PhasePost {
				d.posted -= e.amount
				c.posted += e.amount
			}
		default:
			r.problem("journal entry %d: unknown phase %q", e.id, e.phase)
		}
		if d.posted != e.debitAfter || c.posted != e.creditAfter {
			r.problem("journal entry %d: running balances (%d, %d) differ from recomputed (%d, %d)", e.id, e.debitAfter, e.creditAfter, d.posted, c.posted)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("ledger: verify: read journal: %w", err)
	}
	for _, h := range holds {
		if !h.resolved {
			r.OpenHolds++
		}
	}

	var h head
	if err := tx.QueryRow(ctx, `SELECT last_transfer_id, last_hash, last_request_id FROM ledger_head WHERE id = 1`).Scan(&h.lastTransfer, &h.lastHash, &h.lastRequest); err != nil {
		return fmt.Errorf("ledger: verify: read head: %w", err)
	}
	if h.lastTransfer != last || h.lastHash != prev {
		r.problem("journal head (%d, %.12s…) does not match the last entry (%d, %.12s…)", h.lastTransfer, h.lastHash, last, prev)
	}

	arows, err := tx.Query(ctx, `SELECT `+accountCols+` FROM ledger_accounts ORDER BY id`)
	if err != nil {
		return fmt.Errorf("ledger: verify: read accounts: %w", err)
	}
	seen := map[int64]bool{}
	for arows.Next() {
		a, err := scanAccount(arows)
		if err != nil {
			arows.Close()
			return fmt.Errorf("ledger: verify: scan account: %w", err)
		}
		r.Accounts++
		seen[a.ID] = true
		c := acct(a.ID)
		if c.posted != a.Posted || c.pendingDebits != a.PendingDebits || c.pendingCredits != a.PendingCredits {
			r.problem("account %d (%s): stored balance posted=%d pending=-%d/+%d, journal says posted=%d pending=-%d/+%d",
				a.ID, a.Code, a.Posted, a.PendingDebits, a.PendingCredits, c.posted, c.pendingDebits, c.pendingCredits)
		}
		if a.Flags&FlagMayGoNegative == 0 && (c.posted-c.pendingDebits < 0 || c.posted < 0) {
			r.problem("account %d (%s, %s) is below zero: posted %d, pending debits %d", a.ID, a.Code, a.Kind, c.posted, c.pendingDebits)
		}
		r.Sums[a.Currency] += c.posted
	}
	arows.Close()
	if err := arows.Err(); err != nil {
		return err
	}
	for id := range calc {
		if !seen[id] {
			r.problem("journal names account %d, which does not exist", id)
		}
	}
	for cur, sum := range r.Sums {
		if sum != 0 {
			r.problem("balances in %s sum to %d, not zero", cur, sum)
		}
	}

	qrows, err := tx.Query(ctx, `SELECT id, status, first_transfer_id, transfer_count FROM ledger_requests ORDER BY id`)
	if err != nil {
		return fmt.Errorf("ledger: verify: read requests: %w", err)
	}
	defer qrows.Close()
	for qrows.Next() {
		var id, first int64
		var count int
		var status string
		if err := qrows.Scan(&id, &status, &first, &count); err != nil {
			return err
		}
		r.Requests++
		switch status {
		case statusCommitted:
			if perRequest[id] != count {
				r.problem("request %d committed %d transfers, journal has %d", id, count, perRequest[id])
			}
		case statusFailed:
			if perRequest[id] != 0 {
				r.problem("failed request %d has %d transfers in the journal", id, perRequest[id])
			}
		default:
			r.problem("request %d has unknown status %q", id, status)
		}
		delete(perRequest, id)
	}
	for id, n := range perRequest {
		r.problem("journal has %d transfers of request %d, which is not recorded", n, id)
	}
	return qrows.Err()
}
