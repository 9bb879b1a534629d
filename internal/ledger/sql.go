package ledger

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/saifu-pay/saifu/internal/store"
)

// Dialect-specific SQL of the committer. PostgreSQL takes whole arrays in
// one fixed statement (= ANY, unnest), so the server prepares each statement
// once; SQLite reads id lists through json_each and inserts multi-row VALUES
// in chunks below its bound on variables.

// sqliteRowsPerInsert is the rows of one prepared multi-row INSERT on
// SQLite: 64 × 16 columns stays far under SQLite's 32,766 variables, and a
// statement prepared once per connection saves re-parsing it every batch
// (parsing was a sixth of the committer's CPU).
const sqliteRowsPerInsert = 64

const (
	sqliteInsertRequests  = `INSERT INTO ledger_requests (id, scope, idem_key, request_hash, status, error_code, error_message, first_transfer_id, transfer_count, created_at) VALUES `
	sqliteInsertTransfers = `INSERT INTO ledger_transfers (id, request_id, kind, phase, debit_account_id, credit_account_id, amount, currency, pending_id, linked_id, expires_at, metadata, debit_posted_after, credit_posted_after, created_at, hash) VALUES `
	sqliteRequestTuple    = `(?,?,?,?,?,?,?,?,?,?)`
	sqliteTransferTuple   = `(?,?,?,?,?,?,?,?,NULLIF(?,0),NULLIF(?,0),NULLIF(?,0),?,?,?,?,?)`
	sqliteUpdateAccount   = `UPDATE ledger_accounts SET posted = ?, pending_debits = ?, pending_credits = ? WHERE id = ?`
)

// prepareSQLite prepares the committer's SQLite statements on the writer
// pool, outside any transaction (inside one, the single writer connection is
// taken and a pool-level prepare would wait for it forever).
func (l *Ledger) prepareSQLite(ctx context.Context) error {
	if l.pg() || len(l.stmts) > 0 {
		return nil
	}
	for _, q := range []string{
		sqliteInsertRequests + placeholders(sqliteRowsPerInsert, sqliteRequestTuple),
		sqliteInsertRequests + sqliteRequestTuple,
		sqliteInsertTransfers + placeholders(sqliteRowsPerInsert, sqliteTransferTuple),
		sqliteInsertTransfers + sqliteTransferTuple,
		sqliteUpdateAccount,
	} {
		s, err := l.db.W.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("ledger: prepare: %w", err)
		}
		l.stmts[q] = s
	}
	return nil
}

// stmt binds a statement prepared by prepareSQLite to tx (database/sql
// reuses the connection's prepared statement).
func (l *Ledger) stmt(ctx context.Context, tx *txn, q string) (*sql.Stmt, error) {
	s, ok := l.stmts[q]
	if !ok {
		return nil, fmt.Errorf("ledger: statement not prepared: %.60s", q)
	}
	return tx.Tx.StmtContext(ctx, s), nil
}

// execChunked inserts rows (cols values each, flattened in args) with
// prepared statements of sqliteRowsPerInsert rows, then single rows.
func (l *Ledger) execChunked(ctx context.Context, tx *txn, prefix, tuple string, cols, rows int, args []any) error {
	full := rows / sqliteRowsPerInsert
	if full > 0 {
		s, err := l.stmt(ctx, tx, prefix+placeholders(sqliteRowsPerInsert, tuple))
		if err != nil {
			return err
		}
		for i := 0; i < full; i++ {
			off := i * sqliteRowsPerInsert * cols
			if _, err := s.ExecContext(ctx, args[off:off+sqliteRowsPerInsert*cols]...); err != nil {
				return err
			}
		}
	}
	if rest := rows - full*sqliteRowsPerInsert; rest > 0 {
		s, err := l.stmt(ctx, tx, prefix+tuple)
		if err != nil {
			return err
		}
		for off := full * sqliteRowsPerInsert * cols; off < len(args); off += cols {
			if _, err := s.ExecContext(ctx, args[off:off+cols]...); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *Ledger) pg() bool { return l.db.Dialect == store.Postgres }

func uniq(ids []int64) []int64 {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// inInt64 returns a condition "col IN the set" and its one argument.
func (l *Ledger) inInt64(ids []int64) (string, any) {
	if l.pg() {
		return "= ANY(?::bigint[])", ids
	}
	b, _ := json.Marshal(ids)
	return "IN (SELECT value FROM json_each(?))", string(b)
}

func (l *Ledger) inText(vals []string) (string, any) {
	if l.pg() {
		return "= ANY(?::text[])", vals
	}
	b, _ := json.Marshal(vals)
	return "IN (SELECT value FROM json_each(?))", string(b)
}

func (l *Ledger) lockHead(ctx context.Context, tx *txn) (head, error) {
	q := `SELECT last_transfer_id, last_hash, last_request_id FROM ledger_head WHERE id = 1`
	if l.pg() {
		q += ` FOR UPDATE`
	}
	var h head
	if err := tx.QueryRow(ctx, q).Scan(&h.lastTransfer, &h.lastHash, &h.lastRequest); err != nil {
		return head{}, fmt.Errorf("ledger: lock head: %w", err)
	}
	return h, nil
}

// requestCols are what loadRequests reads of a stored request (as r).
const requestCols = `r.scope, r.idem_key, r.id, r.request_hash, r.status, r.error_code, r.error_message, r.first_transfer_id, r.transfer_count`

// loadRequestsPG reads the requests of (key, scope) pairs on PostgreSQL.
const loadRequestsPG = `SELECT ` + requestCols + ` FROM unnest(?::text[], ?::text[]) AS k(idem_key, scope)
	JOIN ledger_requests r ON r.idem_key = k.idem_key AND r.scope = k.scope`

// loadRequests reads the stored requests of the batch's (scope, key)
// pairs. On PostgreSQL the pairs are joined with the unique index of
// (idem_key, scope), so the planner knows each finds at most one row; a
// filter on idem_key alone was estimated from a default selectivity
// before the table's first ANALYZE and planned as a sequential scan of
// every request (docs/benchmarks.md, "Fresh is slow").
func (l *Ledger) loadRequests(ctx context.Context, tx *txn, sks []scopeKey) (map[scopeKey]storedRequest, error) {
	out := map[scopeKey]storedRequest{}
	slices.SortFunc(sks, func(a, b scopeKey) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.scope, b.scope)) })
	sks = slices.Compact(sks)
	var q string
	var args []any
	if l.pg() {
		keys, scopes := make([]string, len(sks)), make([]string, len(sks))
		for i, sk := range sks {
			keys[i], scopes[i] = sk.key, sk.scope
		}
		q, args = loadRequestsPG, []any{keys, scopes}
	} else {
		keys := make([]string, len(sks))
		for i, sk := range sks {
			keys[i] = sk.key
		}
		cond, arg := l.inText(keys)
		q, args = `SELECT `+requestCols+` FROM ledger_requests r WHERE r.idem_key `+cond, []any{arg}
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: load requests: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sk scopeKey
		var r storedRequest
		if err := rows.Scan(&sk.scope, &sk.key, &r.id, &r.hash, &r.status, &r.errCode, &r.errMessage, &r.firstTransfer, &r.count); err != nil {
			return nil, fmt.Errorf("ledger: scan request: %w", err)
		}
		out[sk] = r
	}
	return out, rows.Err()
}

func (l *Ledger) loadHolds(ctx context.Context, tx *txn, ids []int64) (map[int64]*holdInfo, error) {
	out := map[int64]*holdInfo{}
	if len(ids) == 0 {
		return out, nil
	}
	ids = uniq(ids)
	cond, arg := l.inInt64(ids)
	rows, err := tx.Query(ctx, `SELECT id, debit_account_id, credit_account_id, amount, currency, COALESCE(expires_at, 0)
		FROM ledger_transfers WHERE phase = 'pending' AND id `+cond, arg)
	if err != nil {
		return nil, fmt.Errorf("ledger: load holds: %w", err)
	}
	for rows.Next() {
		h := &holdInfo{}
		if err := rows.Scan(&h.id, &h.debit, &h.credit, &h.amount, &h.currency, &h.expiresAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("ledger: scan hold: %w", err)
		}
		out[h.id] = h
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.Query(ctx, `SELECT pending_id FROM ledger_transfers WHERE pending_id `+cond, arg)
	if err != nil {
		return nil, fmt.Errorf("ledger: load hold resolutions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if h := out[id]; h != nil {
			h.resolved = true
		}
	}
	return out, rows.Err()
}

// lockAccountsSQL reads accounts whose id matches cond, in id order, and
// on PostgreSQL locks them.
func (l *Ledger) lockAccountsSQL(cond string) string {
	q := `SELECT ` + accountCols + ` FROM ledger_accounts WHERE id ` + cond + ` ORDER BY id`
	if l.pg() {
		q += ` FOR UPDATE`
	}
	return q
}

// lockAccounts loads the accounts, locking them in id order on PostgreSQL
// (one fixed order: no deadlocks between batches of several nodes).
func (l *Ledger) lockAccounts(ctx context.Context, tx *txn, ids []int64) (map[int64]*Account, error) {
	out := make(map[int64]*Account, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ids = uniq(ids)
	cond, arg := l.inInt64(ids)
	rows, err := tx.Query(ctx, l.lockAccountsSQL(cond), arg)
	if err != nil {
		return nil, fmt.Errorf("ledger: lock accounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("ledger: scan account: %w", err)
		}
		out[a.ID] = &a
	}
	return out, rows.Err()
}

// insertRequests, insertEntries and updateAccounts write a batch on SQLite
// (in-process calls are cheap there); PostgreSQL writes it in one
// statement, see writePG.
func (l *Ledger) insertRequests(ctx context.Context, tx *txn, reqs []requestRow) error {
	args := make([]any, 0, len(reqs)*10)
	for _, r := range reqs {
		args = append(args, r.id, r.scope, r.key, r.hash, r.status, r.errCode, r.errMessage, r.firstTransfer, r.count, r.createdAt)
	}
	if err := l.execChunked(ctx, tx, sqliteInsertRequests, sqliteRequestTuple, 10, len(reqs), args); err != nil {
		return fmt.Errorf("ledger: insert requests: %w", err)
	}
	return nil
}

func (l *Ledger) insertEntries(ctx context.Context, tx *txn, es []entry) error {
	if len(es) == 0 {
		return nil
	}
	args := make([]any, 0, len(es)*16)
	for i := range es {
		e := &es[i]
		args = append(args, e.id, e.requestID, e.kind, string(e.phase), e.debit, e.credit, e.amount, e.currency,
			e.pendingID, e.linkedID, e.expiresAt, e.metadata, e.debitAfter, e.creditAfter, e.createdAt, e.hash)
	}
	if err := l.execChunked(ctx, tx, sqliteInsertTransfers, sqliteTransferTuple, 16, len(es), args); err != nil {
		return fmt.Errorf("ledger: insert transfers: %w", err)
	}
	return nil
}

func (l *Ledger) updateAccounts(ctx context.Context, tx *txn, st *batchState) error {
	ids := make([]int64, 0, len(st.dirty))
	for id := range st.dirty {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		return nil
	}
	stmt, err := l.stmt(ctx, tx, sqliteUpdateAccount)
	if err != nil {
		return err
	}
	for _, id := range ids {
		a := st.accounts[id]
		if _, err := stmt.ExecContext(ctx, a.Posted, a.PendingDebits, a.PendingCredits, id); err != nil {
			return fmt.Errorf("ledger: update account %d: %w", id, err)
		}
	}
	return nil
}

func placeholders(rows int, tuple string) string {
	var b strings.Builder
	b.Grow(rows * (len(tuple) + 1))
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tuple)
	}
	return b.String()
}
