package ledger

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// Crosscheck is what a comparison of the domains' movement rows (top-ups,
// withdrawals, payments, refunds, transfers, compensations) with their
// ledger requests
// found: a movement whose status disagrees with the journal is a problem;
// one still on its way (a pending row younger than the bound, or its
// request) is in flight, reported but not a problem.
type Crosscheck struct {
	Now         time.Time
	InFlightMax time.Duration // a pending movement older than this should have finished
	Checked     int           // movements compared
	InFlight    []string
	InFlightN   int
	Problems    []string
	// ProblemsTotal counts every problem; Problems lists the first problemsMax.
	ProblemsTotal int
}

// Problem records a disagreement.
func (c *Crosscheck) Problem(format string, args ...any) {
	c.ProblemsTotal++
	if len(c.Problems) < problemsMax {
		c.Problems = append(c.Problems, fmt.Sprintf(format, args...))
	}
}

// Pending records a movement whose row and request disagree while it may
// still be finishing: in flight when since is within InFlightMax, a
// problem after.
func (c *Crosscheck) Pending(since time.Time, format string, args ...any) {
	if c.Now.Sub(since) <= c.InFlightMax {
		c.InFlightN++
		if len(c.InFlight) < problemsMax {
			c.InFlight = append(c.InFlight, fmt.Sprintf(format, args...))
		}
		return
	}
	c.Problem(format+fmt.Sprintf(" for %s, longer than %s", c.Now.Sub(since).Round(time.Second), c.InFlightMax), args...)
}

// OK reports whether no movement disagreed with the journal.
func (c *Crosscheck) OK() bool { return c.ProblemsTotal == 0 }

// Print writes the crosscheck for people.
func (c *Crosscheck) Print(w io.Writer) {
	fmt.Fprintf(w, "movements checked against the journal: %d (in flight: %d)\n", c.Checked, c.InFlightN)
	for _, f := range c.InFlight {
		fmt.Fprintln(w, "  in flight:", f)
	}
	if c.OK() {
		fmt.Fprintln(w, "OK: every finished movement has exactly its ledger transfers, and every ledger request of a movement has its row")
		return
	}
	fmt.Fprintf(w, "FAILED: %d movement(s) disagree with the journal\n", c.ProblemsTotal)
	for _, p := range c.Problems {
		fmt.Fprintln(w, "  -", p)
	}
	if c.ProblemsTotal > len(c.Problems) {
		fmt.Fprintf(w, "  … and %d more\n", c.ProblemsTotal-len(c.Problems))
	}
}

// RequestRef names a ledger request.
type RequestRef struct{ Scope, Key string }

// RequestOutcome is what the journal holds for one request.
type RequestOutcome struct {
	Committed     bool  // false: the request failed, nothing moved
	Amount        int64 // Σ of its transfers' amounts
	Transfers     int   // how many transfers it committed (Verify checks the journal has them)
	FirstTransfer int64
	// Debit and Credit are the codes of its first transfer's accounts
	// ("" when it moved nothing).
	Debit, Credit string
	CreatedAt     time.Time
	// Phase and PendingID are its first transfer's: a hold (PhasePending),
	// a movement (PhasePosted), or the post or void of hold PendingID.
	Phase     Phase
	PendingID int64
}

// RequestsWithKeyPrefix returns, in tx's snapshot, every request whose key
// starts with prefix (a movement kind, e.g. "topup:"), with the sum of its
// transfers, their count, the phase of its first and that first's
// accounts.
func RequestsWithKeyPrefix(ctx context.Context, tx *store.Tx, prefix string) (map[RequestRef]RequestOutcome, error) {
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix) + "%"
	rows, err := tx.Query(ctx, `SELECT r.scope, r.idem_key, r.status, r.first_transfer_id, r.transfer_count, r.created_at,
		CAST(COALESCE((SELECT SUM(t.amount) FROM ledger_transfers t WHERE t.request_id = r.id), 0) AS BIGINT),
		COALESCE(f.phase, ''), CAST(COALESCE(f.pending_id, 0) AS BIGINT), COALESCE(d.code, ''), COALESCE(c.code, '')
		FROM ledger_requests r
		LEFT JOIN ledger_transfers f ON f.id = r.first_transfer_id
		LEFT JOIN ledger_accounts d ON d.id = f.debit_account_id
		LEFT JOIN ledger_accounts c ON c.id = f.credit_account_id
		WHERE r.idem_key LIKE ? ESCAPE '\'`, like)
	if err != nil {
		return nil, fmt.Errorf("ledger: requests %s: %w", prefix, err)
	}
	defer rows.Close()
	out := map[RequestRef]RequestOutcome{}
	for rows.Next() {
		var ref RequestRef
		var status, phase string
		var o RequestOutcome
		var created int64
		if err := rows.Scan(&ref.Scope, &ref.Key, &status, &o.FirstTransfer, &o.Transfers, &created, &o.Amount, &phase, &o.PendingID, &o.Debit, &o.Credit); err != nil {
			return nil, fmt.Errorf("ledger: requests %s: %w", prefix, err)
		}
		o.Committed, o.CreatedAt, o.Phase = status == statusCommitted, time.UnixMilli(created).UTC(), Phase(phase)
		out[ref] = o
	}
	return out, rows.Err()
}
