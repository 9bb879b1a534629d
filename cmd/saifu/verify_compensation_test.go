package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// TestVerifyComparesCompensationsWithTheLedger: a compensation approved
// and paid by the app's own job (the wallet's transfer under
// compensation:<id>:<user>) verifies; each tampering behind the services'
// back — an item marked paid with no transfer, a transfer under the
// prefix with no item, an item whose amount differs from its transfer, a
// transfer to the wrong account, an item paid in two transfers, or before
// its compensation was approved — makes `saifu verify` fail and name it;
// an approved item not paid yet is in flight within --in-flight and a
// failure after. On SQLite and PostgreSQL.
func TestVerifyComparesCompensationsWithTheLedger(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			dsn := verifyDSN(t, d)
			db, err := app.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			a, err := app.New(ctx, app.Config{DB: db, DataDir: t.TempDir(), SecretKey: strings.Repeat("verify-secret-", 3),
				PublicURL: "http://localhost:1", Mail: notify.NewConsole(io.Discard)})
			if err != nil {
				t.Fatal(err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.Exec(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			approved := time.Now().Add(-time.Hour).UnixMilli()
			// The compensation and its items in one transaction, as ops
			// writes them: the background job must never see the one
			// without the others (it would take an approved compensation
			// without unpaid items for paid).
			err = db.Write(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, `INSERT INTO ops_compensations (id, reason, total, items, status, requested_by, created_at, approved_at, approved_by)
					VALUES ('cmp_1', 'incident', 8000, 2, 'approved', 'opr_a', ?, ?, 'opr_b')`, approved, approved); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `INSERT INTO ops_compensation_items (compensation_id, user_id, amount) VALUES ('cmp_1', 'usr_a', 3000), ('cmp_1', 'usr_b', 5000)`)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			// The job that pays approved compensations (it also runs in the
			// background; paying twice pays once).
			if _, err := a.Operators.PayCompensations(ctx); err != nil {
				t.Fatal(err)
			}
			var status string
			if err := db.QueryRow(ctx, `SELECT status FROM ops_compensations WHERE id = 'cmp_1'`).Scan(&status); err != nil || status != "paid" {
				t.Fatalf("compensation after the job: %q, %v", status, err)
			}
			// A transfer to a wrong account, and one under the prefix that no
			// item asked for, kept aside for the tampering below.
			sys, err := a.Wallet.SystemAccount(ctx, wallet.SystemCompensation)
			if err != nil {
				t.Fatal(err)
			}
			money, _, err := a.Wallet.Accounts(ctx, "usr_c")
			if err != nil {
				t.Fatal(err)
			}
			_, lite, err := a.Wallet.Accounts(ctx, "usr_d")
			if err != nil {
				t.Fatal(err)
			}
			moneyE, _, err := a.Wallet.Accounts(ctx, "usr_e")
			if err != nil {
				t.Fatal(err)
			}
			a.Close()

			verify := func(args ...string) (string, error) { return verifyOn(ctx, dsn, args...) }
			out, err := verify()
			if err != nil || !strings.Contains(out, "movements checked against the journal: 2 (in flight: 0)") {
				t.Fatalf("verify of a paid compensation: %v\n%s", err, out)
			}

			l := ledger.Open(db, ledger.Options{})
			defer l.Close()
			// commit pays amounts (700 when none) under key, behind the
			// wallet's back.
			commit := func(key string, credit int64, amounts ...int64) {
				t.Helper()
				if len(amounts) == 0 {
					amounts = []int64{700}
				}
				var ts []ledger.Transfer
				for _, n := range amounts {
					ts = append(ts, ledger.Transfer{Kind: "compensation", Debit: sys.ID, Credit: credit, Amount: n, Currency: "JPY"})
				}
				if _, err := l.Commit(ctx, ledger.Request{Scope: "ops:compensation", Key: key, Transfers: ts}); err != nil {
					t.Fatal(err)
				}
			}
			// hide takes a tampering request out of the check (a transfer
			// cannot be taken back; a request's key is not in the chain).
			hide := func(key string) {
				exec(`UPDATE ledger_requests SET idem_key = ? WHERE idem_key = ?`, "tampered:"+key, key)
			}
			for _, tt := range []struct {
				name     string
				tamper   func()
				args     []string
				wantExit int
				want     string
				undo     func()
			}{
				{"an item marked paid with no transfer",
					func() {
						exec(`INSERT INTO ops_compensation_items (compensation_id, user_id, amount, paid_at) VALUES ('cmp_1', 'usr_x', 900, ?)`, approved)
					}, nil, 1, "compensation cmp_1 item usr_x is marked paid but the ledger paid nothing",
					func() { exec(`DELETE FROM ops_compensation_items WHERE user_id = 'usr_x'`) }},
				{"an item whose amount is not its transfer's",
					func() { exec(`UPDATE ops_compensation_items SET amount = 30000 WHERE user_id = 'usr_a'`) },
					nil, 1, "compensation cmp_1 item usr_a of 30000 was paid 3000",
					func() { exec(`UPDATE ops_compensation_items SET amount = 3000 WHERE user_id = 'usr_a'`) }},
				{"a transfer under the prefix with no item",
					func() { commit("compensation:cmp_1:usr_c", money.ID) },
					nil, 1, "ledger request ops:compensation compensation:cmp_1:usr_c (transfer 3, 700) has no compensation item",
					func() {
						exec(`INSERT INTO ops_compensation_items (compensation_id, user_id, amount, paid_at) VALUES ('cmp_1', 'usr_c', 700, ?)`, approved)
					}},
				{"an item paid to the wrong account",
					func() {
						commit("compensation:cmp_1:usr_d", lite.ID)
						exec(`INSERT INTO ops_compensation_items (compensation_id, user_id, amount, paid_at) VALUES ('cmp_1', 'usr_d', 700, ?)`, approved)
					}, nil, 1, "compensation cmp_1 item usr_d was paid from system:compensation to user:usr_d:lite (transfer 4), not from system:compensation to user:usr_d:money",
					func() {
						exec(`DELETE FROM ops_compensation_items WHERE user_id = 'usr_d'`)
						hide("compensation:cmp_1:usr_d")
					}},
				{"an item paid in two transfers",
					func() {
						commit("compensation:cmp_1:usr_e", moneyE.ID, 300, 400)
						exec(`INSERT INTO ops_compensation_items (compensation_id, user_id, amount, paid_at) VALUES ('cmp_1', 'usr_e', 700, ?)`, approved)
					}, nil, 1, "compensation cmp_1 item usr_e was paid in 2 ledger transfers (transfer 5)",
					func() {
						exec(`DELETE FROM ops_compensation_items WHERE user_id = 'usr_e'`)
						hide("compensation:cmp_1:usr_e")
					}},
				{"an item paid before its compensation was approved",
					func() {
						exec(`INSERT INTO ops_compensations (id, reason, total, items, status, requested_by, created_at)
							VALUES ('cmp_3', 'incident', 700, 1, 'pending_approval', 'opr_a', ?)`, approved)
						exec(`INSERT INTO ops_compensation_items (compensation_id, user_id, amount) VALUES ('cmp_3', 'usr_c', 700)`)
						commit("compensation:cmp_3:usr_c", money.ID)
					}, nil, 1, "compensation cmp_3 item usr_c is paid (ledger: 700, transfer 7) but the compensation is pending_approval, never approved",
					func() {
						exec(`DELETE FROM ops_compensation_items WHERE compensation_id = 'cmp_3'`)
						exec(`DELETE FROM ops_compensations WHERE id = 'cmp_3'`)
						hide("compensation:cmp_3:usr_c")
					}},
				{"an approved item not paid for longer than --in-flight",
					func() {
						exec(`INSERT INTO ops_compensations (id, reason, total, items, status, requested_by, created_at, approved_at, approved_by)
							VALUES ('cmp_2', 'incident', 400, 1, 'approved', 'opr_a', ?, ?, 'opr_b')`, approved, approved)
						exec(`INSERT INTO ops_compensation_items (compensation_id, user_id, amount) VALUES ('cmp_2', 'usr_a', 400)`)
					}, nil, 1, "compensation cmp_2 item usr_a of 400 is approved but not paid yet for 1h",
					nil},
				{"the same item within --in-flight",
					func() {}, []string{"--in-flight", "2h"}, 0, "in flight: compensation cmp_2 item usr_a of 400 is approved but not paid yet",
					func() {
						exec(`DELETE FROM ops_compensation_items WHERE compensation_id = 'cmp_2'`)
						exec(`DELETE FROM ops_compensations WHERE id = 'cmp_2'`)
					}},
			} {
				tt.tamper()
				out, err := verify(tt.args...)
				code := 0
				if err != nil {
					code = exitCode(err)
				}
				if code != tt.wantExit || !strings.Contains(out, tt.want) {
					t.Errorf("%s: exit %d (%v), want %d naming %q:\n%s", tt.name, code, err, tt.wantExit, tt.want, out)
				}
				if tt.undo != nil {
					tt.undo()
				}
			}
			// Undone, each tampering leaves a sound database (usr_c's
			// transfer now has its item): the failures above were theirs.
			if out, err := verify(); err != nil || !strings.Contains(out, "movements checked against the journal: 3 (in flight: 0)") {
				t.Fatalf("verify after undoing the tampering: %v\n%s", err, out)
			}
		})
	}
}
