package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestConsoleAuditLog: the audit log page lists the linked entries (the
// switch just made among them, with who and why) and checks the chain
// when asked.
func TestConsoleAuditLog(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.bootstrapAdmin(t, "auditor@example.com", time.Now)
		admin.post("/ops/switches/p2p", url.Values{"enabled": {"0"}, "reason": {"audit me"}})
		if _, err := audit.New(db).Chain(context.Background()); err != nil {
			t.Fatal(err)
		}
		a := admin.get("/ops/audit")
		if a.status != 200 || !strings.Contains(a.body, "switch.disabled") || !strings.Contains(a.body, "audit me") {
			t.Errorf("the audit log: %d %s", a.status, a.body)
		}
		if a := admin.get("/ops/audit?after=-1"); a.status != 400 {
			t.Errorf("a bad cursor = %d, want 400", a.status)
		}
		if a := admin.get("/ops/audit/verify"); !strings.Contains(a.body, `data-ok="1"`) {
			t.Errorf("the chain check: %s", a.body)
		}
	})
}

// TestConsoleRoles: the console shows a support operator no switch
// forms, and the service refuses what the role does not allow (a switch
// posted anyway, the review queue): 403, nothing changed.
func TestConsoleRoles(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.bootstrapAdmin(t, "boss@example.com", time.Now)
		support := e.invite(t, admin, "helper@example.com", ops.RoleSupport)
		a := support.get("/ops/")
		if a.status != 200 || strings.Contains(a.body, `action="/ops/switches/`) || strings.Contains(a.body, `id="review-count"`) {
			t.Errorf("a support operator's dashboard: %s", a.body)
		}
		if a := support.post("/ops/switches/payment", url.Values{"enabled": {"0"}, "reason": {"not mine to do"}}); a.status != 403 {
			t.Errorf("a support operator's switch = %d, want 403", a.status)
		}
		if err := e.app.Controls.CheckCapability(context.Background(), ops.CapPayment); err != nil {
			t.Errorf("a refused switch changed it: %v", err)
		}
		if a := support.get("/ops/reviews"); a.status != 403 {
			t.Errorf("a support operator's review queue = %d, want 403", a.status)
		}
		if a := admin.get("/ops/reviews"); a.status != 200 || !strings.Contains(a.body, "ありません") {
			t.Errorf("the admin's empty review queue: %d", a.status)
		}
		if a := admin.get("/ops/"); !strings.Contains(a.body, `id="review-count">0<`) {
			t.Errorf("the admin's dashboard shows no review count")
		}
	})
}

// TestConsoleTrafficCharts: the dashboard draws the last day's risk
// decisions per minute as SVG charts, with their totals (here two
// payments asked for, one of a top-up).
func TestConsoleTrafficCharts(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	ctx := context.Background()
	for _, kind := range []string{risk.KindPayment, risk.KindPayment, risk.KindCardTopup} {
		if _, err := e.app.Risk.Decide(ctx, risk.Event{Kind: kind, Subject: risk.Subject{UserID: "usr_chart", Amount: 500}}); err != nil {
			t.Fatal(err)
		}
	}
	admin := e.bootstrapAdmin(t, "charts@example.com", time.Now)
	a := admin.get("/ops/")
	for _, want := range []string{`id="chart-payments"`, `合計 2件`, `id="chart-topups"`, `合計 1件`, `<svg viewBox="0 0 1440 100"`} {
		if !strings.Contains(a.body, want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}
}
