package httpapi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// errRollback ends a tampering transaction without keeping its changes.
var errRollback = errors.New("roll back the tampering")

// crosscheck runs the movements' comparison with the journal that
// `saifu verify` runs, inside tx.
func crosscheckIn(ctx context.Context, tx *store.Tx, now time.Time) (*ledger.Crosscheck, error) {
	c := &ledger.Crosscheck{Now: now, InFlightMax: 15 * time.Minute}
	if err := funding.CheckLedger(ctx, tx, c); err != nil {
		return nil, err
	}
	return c, wallet.CheckLedger(ctx, tx, c)
}

// TestCrosscheckCatchesTamperedRows: after real top-ups (card and bank),
// withdrawals (held, cancelled) and a person-to-person transfer, every
// movement agrees with the journal; a row whose status or amount is
// changed behind the services' back, or removed, is a problem that names
// it; a movement still processing is in flight, and a problem once it has
// been so for longer than the bound. On SQLite and PostgreSQL.
func TestCrosscheckCatchesTamperedRows(t *testing.T) {
	eachFundEnv(t, funding.Limits{}, func(t *testing.T, e *fundEnv) {
		ctx := context.Background()
		a, _ := e.user(t, "cross@example.com", "YAMADA Taro")
		link := e.linkBank(t, a)
		bank := a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 20000}).want(t, 201)
		card := a.do("POST", "/api/v1/cards", map[string]string{"card_token": e.cardToken(t, "4242424242424242")}).want(t, 201)
		top := a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "card", "card_id": card.str("card_id")}, "amount": 5000}).want(t, 201)
		if na, _ := top.body["next_action"].(map[string]any); na != nil {
			e.challenge(t, na["url"].(string))
		}
		held := a.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 3000}).want(t, 202)
		gone := a.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 2000}).want(t, 202)
		a.do("DELETE", "/api/v1/withdrawals/"+gone.str("withdrawal_id"), nil).want(t, 200)
		_, _ = e.user(t, "cross-bob@example.com", "SUZUKI Hanako")
		p2p := a.post("/api/v1/transfers", map[string]any{"to_email": "cross-bob@example.com", "amount": 1000}).want(t, 201)
		for _, r := range []resp{bank, a.do("GET", "/api/v1/topups/"+top.str("topup_id"), nil), p2p} {
			if r.str("status") != "succeeded" {
				t.Fatalf("movement not succeeded: %s", r.raw)
			}
		}
		bankID, cardTop, heldID, goneID, p2pID := bank.str("topup_id"), top.str("topup_id"), held.str("withdrawal_id"), gone.str("withdrawal_id"), p2p.str("transfer_id")
		now := e.clock.Now()
		old := now.Add(-time.Hour).UnixMilli()

		var sound *ledger.Crosscheck
		err := e.db.Read(ctx, func(tx *store.Tx) error {
			var err error
			sound, err = crosscheckIn(ctx, tx, now)
			return err
		})
		if err != nil || !sound.OK() || sound.Checked != 5 || sound.InFlightN != 0 {
			var b strings.Builder
			if sound != nil {
				sound.Print(&b)
			}
			t.Fatalf("sound database: %v\n%s", err, b.String())
		}

		tests := []struct {
			name         string
			tamper       string
			args         []any
			wantProblem  string // "" for none
			wantInFlight string
		}{
			{"credited top-up marked declined", `UPDATE funding_topups SET status = 'declined', decline_code = 'limit_exceeded', transfer_id = 0 WHERE id = ?`,
				[]any{cardTop}, "top-up " + cardTop + " is declined but the ledger credited 5000", ""},
			{"top-up amount changed", `UPDATE funding_topups SET amount = 50000 WHERE id = ?`,
				[]any{bankID}, "top-up " + bankID + " of 50000 was credited 20000", ""},
			{"top-up row removed", `DELETE FROM funding_topups WHERE id = ?`,
				[]any{bankID}, "ledger request funding topup:" + bankID, ""},
			{"credited top-up still processing, recently", `UPDATE funding_topups SET status = 'processing', updated_at = ? WHERE id = ?`,
				[]any{now.UnixMilli(), cardTop}, "", "top-up " + cardTop + " is credited"},
			{"credited top-up still processing, for an hour", `UPDATE funding_topups SET status = 'processing', updated_at = ? WHERE id = ?`,
				[]any{old, cardTop}, "top-up " + cardTop + " is credited", ""},
			{"held withdrawal marked succeeded", `UPDATE funding_withdrawals SET status = 'succeeded' WHERE id = ?`,
				[]any{heldID}, "withdrawal " + heldID + " is succeeded but its hold was not posted", ""},
			{"voided withdrawal marked held", `UPDATE funding_withdrawals SET status = 'held' WHERE id = ?`,
				[]any{goneID}, "withdrawal " + goneID + " is held but its hold was already voided", ""},
			{"withdrawal amount changed", `UPDATE funding_withdrawals SET amount = 1 WHERE id = ?`,
				[]any{heldID}, "withdrawal " + heldID + " of 1 names hold", ""},
			{"transfer marked failed", `UPDATE wallet_transfers SET status = 'failed' WHERE id = ?`,
				[]any{p2pID}, "transfer " + p2pID + " is failed but the ledger moved 1000", ""},
			{"transfer row removed", `DELETE FROM wallet_transfers WHERE id = ?`,
				[]any{p2pID}, "ledger request of transfer " + p2pID, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var c *ledger.Crosscheck
				err := e.db.Write(ctx, func(tx *store.Tx) error {
					if _, err := tx.Exec(ctx, tt.tamper, tt.args...); err != nil {
						return err
					}
					var err error
					if c, err = crosscheckIn(ctx, tx, now); err != nil {
						return err
					}
					return errRollback
				})
				if !errors.Is(err, errRollback) {
					t.Fatal(err)
				}
				var b strings.Builder
				c.Print(&b)
				report := b.String()
				if tt.wantProblem == "" && !c.OK() {
					t.Errorf("problems, want none:\n%s", report)
				}
				if tt.wantProblem != "" && (c.OK() || !strings.Contains(strings.Join(c.Problems, "\n"), tt.wantProblem)) {
					t.Errorf("want a problem naming %q:\n%s", tt.wantProblem, report)
				}
				if tt.wantInFlight != "" && !strings.Contains(strings.Join(c.InFlight, "\n"), tt.wantInFlight) {
					t.Errorf("want in flight %q:\n%s", tt.wantInFlight, report)
				}
			})
		}
	})
}
