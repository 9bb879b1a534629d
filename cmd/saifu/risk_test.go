package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestRiskRulesDecideOverHTTP: the app built by `saifu serve` asks the
// risk engine, with its default rules, before money moves, on SQLite and
// PostgreSQL: a large withdrawal to a bank account linked minutes ago is
// held for review (hold_reason risk_review, never released by time) while
// a small one waits only for the link's fixed waiting period (the ordinary
// user next to the incident); a P2P transfer fanned out to a sixth new
// recipient within an hour is held for review (202 held, risk_review),
// while a seventh transfer to one paid before goes through.
func TestRiskRulesDecideOverHTTP(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			dsn := ""
			if db == "postgres" {
				dsn = storetest.PostgresURL(t)
			}
			base := startDemo(t, dsn, nil).base
			c := &crashClient{t: t, base: base, hc: &http.Client{Timeout: 20 * time.Second}}
			run := time.Now().UnixNano()
			addr := func(who string) string { return fmt.Sprintf("%s-%d@example.com", who, run) }

			// SBI Securities: a new destination, then a large withdrawal.
			tok := c.user(addr("sbi"), "SUZUKI HANAKO")
			link := c.linkBank(tok)
			c.must("POST", "/api/v1/topups", tok, "risk-topup", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 200000}, 201)
			small := c.must("POST", "/api/v1/withdrawals", tok, "risk-wd-small", map[string]any{"bank_link_id": link, "amount": 1000}, 202)
			if small.str("status") != "held" || small.str("hold_reason") != "new_destination" {
				t.Errorf("a small withdrawal to the new link: %s, want held for new_destination only", small.raw)
			}
			large := c.must("POST", "/api/v1/withdrawals", tok, "risk-wd-large", map[string]any{"bank_link_id": link, "amount": 150000}, 202)
			if large.str("status") != "held" || large.str("hold_reason") != "risk_review" {
				t.Errorf("a large withdrawal to the new link: %s, want held for risk_review", large.raw)
			}

			// Mule fan-out: five new recipients in an hour pass, the
			// sixth is held for review; paying one of them again is fine.
			from := c.user(addr("fan"), "YAMADA TARO")
			c.must("POST", "/api/v1/topups", from, "risk-fan-topup", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": c.linkBankAs(from, "yamada")}, "amount": 50000}, 201)
			for i := range 6 {
				to := addr(fmt.Sprint("payee", i))
				c.user(to, "TANAKA ICHIRO")
				r := c.do("POST", "/api/v1/transfers", from, fmt.Sprint("risk-p2p-", i), map[string]any{"to_email": to, "amount": 100})
				switch {
				case i < 5 && r.status != 201:
					t.Fatalf("transfer %d: %d %s", i, r.status, r.raw)
				case i == 5 && (r.status != 202 || r.str("status") != "held" || r.str("hold_reason") != "risk_review"):
					t.Fatalf("the sixth new recipient in an hour: %d %s, want 202 held for risk_review", r.status, r.raw)
				}
			}
			c.must("POST", "/api/v1/transfers", from, "risk-p2p-again", map[string]any{"to_email": addr("payee0"), "amount": 100}, 201)
		})
	}
}
