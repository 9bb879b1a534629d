package audit

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// verifyPage bounds the entries Verify holds in memory at once.
const verifyPage = 1000

// unlinkedAgeMax: an entry still outside the chain this long after it was
// written means the chain job is not running; Verify reports it.
const unlinkedAgeMax = 10 * time.Minute

// Report is what Verify found.
type Report struct {
	Entries  int64 // linked entries checked
	Unlinked int64 // entries not yet in the chain
	// Stale counts unlinked entries older than unlinkedAgeMax.
	Stale int64
	// Broken is the first entry whose link does not hold (0: none), and
	// Problem says how.
	Broken  int64
	Problem string
}

// OK reports whether the chain is whole.
func (r *Report) OK() bool { return r.Broken == 0 && r.Problem == "" }

// Print writes the report for people.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "audit entries:   %d linked, %d waiting to be linked", r.Entries, r.Unlinked)
	if r.Stale > 0 {
		fmt.Fprintf(w, " (%d older than %s: is the chain job running?)", r.Stale, unlinkedAgeMax)
	}
	fmt.Fprintln(w)
	if r.OK() {
		fmt.Fprintln(w, "audit chain:     OK")
		return
	}
	fmt.Fprintf(w, "audit chain:     BROKEN at seq %d: %s\n", r.Broken, r.Problem)
}

// Verify walks the chain from the first entry and recomputes every hash:
// an edited entry, a deleted or inserted one, a reordering, or a head that
// does not match the last entry is reported as the first broken seq. It
// only reads.
func Verify(ctx context.Context, db *store.DB, now time.Time) (Report, error) {
	var r Report
	prev, want := genesisHash, int64(1)
	for {
		rows, err := db.Query(ctx, `SELECT `+entryColumns+` FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?`, want, verifyPage)
		if err != nil {
			return r, fmt.Errorf("audit: verify: %w", err)
		}
		page, err := scanEntries(rows)
		if err != nil {
			return r, err
		}
		for i := range page {
			e := &page[i]
			switch {
			case e.Seq != want:
				r.Broken, r.Problem = want, fmt.Sprintf("entry %d is missing (next is %d)", want, e.Seq)
			case e.PrevHash != prev:
				r.Broken, r.Problem = e.Seq, "prev_hash does not match the previous entry's hash"
			case link(prev, e) != e.Hash:
				r.Broken, r.Problem = e.Seq, "hash does not match the entry's content"
			}
			if !r.OK() {
				return r, nil
			}
			r.Entries++
			prev, want = e.Hash, e.Seq+1
		}
		if len(page) < verifyPage {
			break
		}
	}
	var headSeq int64
	var headHash string
	if err := db.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return r, fmt.Errorf("audit: verify head: %w", err)
	}
	if headSeq != want-1 || headHash != prev {
		r.Broken, r.Problem = want, fmt.Sprintf("the head says seq %d, the chain ends at %d", headSeq, want-1)
		if headSeq == want-1 {
			r.Problem = "the head's hash does not match the last entry (entries removed from the end?)"
		}
		return r, nil
	}
	err := db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN at < ? THEN 1 ELSE 0 END), 0) FROM audit_log WHERE seq IS NULL`,
		now.Add(-unlinkedAgeMax).UnixMilli()).Scan(&r.Unlinked, &r.Stale)
	if err != nil {
		return r, fmt.Errorf("audit: verify unlinked: %w", err)
	}
	return r, nil
}
