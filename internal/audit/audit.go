// Package audit is saifu's one audit log: an append-only, hash-chained
// record of every credential change, every operator action and every other
// event that a person may later have to account for.
//
// What it promises:
//   - An entry is written with Append in the caller's transaction, so it
//     exists if and only if the change it describes commits. Appending takes
//     no lock shared with other requests: it is one INSERT.
//   - Entries are linked into a chain afterwards, per batch (the lesson of
//     Formance's ledger: chain per batch, not per request): Chain takes the
//     head row's lock once, gives every committed, unlinked entry the next
//     seq in order, and sets prev_hash and hash = SHA-256(prev_hash ‖
//     canonical entry). One lock per batch of up to chainBatchMax entries,
//     never one per request. A background job runs Chain every second.
//   - A linked entry never changes and no entry is ever deleted: database
//     triggers refuse it, and Verify detects an edit, a deletion or a
//     reordering made behind the triggers' back, naming the first broken
//     entry.
//   - Details are never secrets (callers pass ids, addresses, reasons), and
//     every text field is bounded.
package audit

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates the audit log (set "audit"). It must run before the
// sets whose migrations move older audit rows into it (identity).
var Migrations = store.EmbeddedMigrations("audit", migrationFiles, "migrations")

// Bounds on an entry's text, in bytes: longer values are cut (at a rune
// boundary), so that no caller can make one entry unboundedly large.
const (
	fieldBytesMax   = 200  // actor, action, target, ip
	agentBytesMax   = 512  // user agent
	detailsBytesMax = 2000 // free text and small JSON documents
)

// genesisHash is the predecessor of the first entry.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Entry is one event. Seq, PrevHash and Hash are zero until the entry is
// linked into the chain.
type Entry struct {
	Seq       int64
	At        time.Time
	Actor     string // who: a user id, "operator:<id>", "system", "anonymous", …
	Action    string // what, dotted: "password.reset", "switch.disabled", …
	Target    string // whom or what it concerns: a user id, "merchant:<id>", a capability
	IP        string
	UserAgent string
	Details   string // never a secret
	PrevHash  string
	Hash      string
	// Redacted says Details were left out for the reader (a view, never
	// stored: the hash covers the details as written).
	Redacted bool
}

// Append records e in tx. At must be set (the caller's one "now" of the
// transaction); Actor and Action must not be empty.
func Append(ctx context.Context, tx *store.Tx, e Entry) error {
	if e.At.IsZero() || e.Actor == "" || e.Action == "" {
		return fmt.Errorf("audit: entry needs at, actor and action (got %q %q)", e.Actor, e.Action)
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (at, actor, action, target, ip, user_agent, details) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.At.UnixMilli(), cut(e.Actor, fieldBytesMax), cut(e.Action, fieldBytesMax), cut(e.Target, fieldBytesMax),
		cut(e.IP, fieldBytesMax), cut(e.UserAgent, agentBytesMax), cut(e.Details, detailsBytesMax))
	if err != nil {
		return fmt.Errorf("audit: append %s: %w", e.Action, err)
	}
	countAppend(ctx)
	return nil
}

// cut shortens s to at most n bytes without splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
