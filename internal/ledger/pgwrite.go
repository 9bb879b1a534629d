package ledger

import (
	"context"
	"fmt"
	"slices"
)

// writePGSQL writes a whole batch on PostgreSQL in one statement (one
// round trip instead of four): the requests, the journal entries, the new
// balances and the journal head, each from arrays (unnest), so the
// statement text is fixed and the server prepares it once. The balances'
// update also names its rows by id (= ANY): the planner then reads them
// through the primary key, where a join with unnest alone (whose size it
// cannot see) was planned as a hash join over every account once a batch
// touched more than a few dozen.
const writePGSQL = `WITH r AS (
	INSERT INTO ledger_requests (id, scope, idem_key, request_hash, status, error_code, error_message, first_transfer_id, transfer_count, created_at)
	SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[])
), t AS (
	INSERT INTO ledger_transfers (id, request_id, kind, phase, debit_account_id, credit_account_id, amount, currency, pending_id, linked_id, expires_at, metadata, debit_posted_after, credit_posted_after, created_at, hash)
	SELECT u.id, u.rid, u.kind, u.phase, u.d, u.c, u.amt, u.cur, NULLIF(u.pid, 0), NULLIF(u.lid, 0), NULLIF(u.exp, 0), u.meta, u.da, u.ca, u.ts, u.hash
	FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[])
	AS u(id, rid, kind, phase, d, c, amt, cur, pid, lid, exp, meta, da, ca, ts, hash)
), a AS (
	UPDATE ledger_accounts AS a SET posted = u.posted, pending_debits = u.pd, pending_credits = u.pc
	FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[]) AS u(id, posted, pd, pc) WHERE a.id = u.id AND a.id = ANY(?::bigint[])
)
UPDATE ledger_head SET last_transfer_id = ?, last_hash = ?, last_request_id = ? WHERE id = 1`

func (l *Ledger) writePG(ctx context.Context, tx *txn, reqs []requestRow, es []entry, st *batchState, h head) error {
	n := len(reqs)
	rIDs, rFirst, rCount, rCreated := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	rScope, rKey, rHash, rStatus, rCode, rMsg := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, r := range reqs {
		rIDs[i], rFirst[i], rCount[i], rCreated[i] = r.id, r.firstTransfer, int64(r.count), r.createdAt
		rScope[i], rKey[i], rHash[i], rStatus[i], rCode[i], rMsg[i] = r.scope, r.key, r.hash, r.status, r.errCode, r.errMessage
	}
	m := len(es)
	ids, rids, ds, cs, amts, pids, lids, exps, das, cas, ts := make([]int64, m), make([]int64, m), make([]int64, m), make([]int64, m), make([]int64, m), make([]int64, m), make([]int64, m), make([]int64, m), make([]int64, m), make([]int64, m), make([]int64, m)
	kinds, phases, curs, metas, hashes := make([]string, m), make([]string, m), make([]string, m), make([]string, m), make([]string, m)
	for i := range es {
		e := &es[i]
		ids[i], rids[i], ds[i], cs[i], amts[i], pids[i], lids[i], exps[i], das[i], cas[i], ts[i] = e.id, e.requestID, e.debit, e.credit, e.amount, e.pendingID, e.linkedID, e.expiresAt, e.debitAfter, e.creditAfter, e.createdAt
		kinds[i], phases[i], curs[i], metas[i], hashes[i] = e.kind, string(e.phase), e.currency, e.metadata, e.hash
	}
	acct := make([]int64, 0, len(st.dirty))
	for id := range st.dirty {
		acct = append(acct, id)
	}
	slices.Sort(acct)
	posted, pd, pc := make([]int64, len(acct)), make([]int64, len(acct)), make([]int64, len(acct))
	for i, id := range acct {
		a := st.accounts[id]
		posted[i], pd[i], pc[i] = a.Posted, a.PendingDebits, a.PendingCredits
	}
	_, err := tx.Exec(ctx, writePGSQL,
		rIDs, rScope, rKey, rHash, rStatus, rCode, rMsg, rFirst, rCount, rCreated,
		ids, rids, kinds, phases, ds, cs, amts, curs, pids, lids, exps, metas, das, cas, ts, hashes,
		acct, posted, pd, pc, acct,
		h.lastTransfer, h.lastHash, h.lastRequest)
	if err != nil {
		return fmt.Errorf("ledger: write batch: %w", err)
	}
	return nil
}
