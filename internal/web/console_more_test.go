package web_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/identity"
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
		if a := support.get("/ops/operators"); a.status != 403 {
			t.Errorf("a support operator's operators page = %d, want 403", a.status)
		}
		if a := admin.get("/ops/operators"); !strings.Contains(a.body, "helper@example.com") {
			t.Errorf("the operators page lacks the invited operator")
		}
		admin.get("/ops/operators")
		if a := admin.post("/ops/operators", url.Values{"email": {"not-an-address"}, "roles": {"viewer"}}); a.status != 400 {
			t.Errorf("an invitation to a bad address = %d, want 400", a.status)
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
// decisions and identity's failed logins per minute as SVG charts, with
// their totals (here two payments asked for, one top-up, three failed
// logins).
func TestConsoleTrafficCharts(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	ctx := context.Background()
	for _, kind := range []string{risk.KindPayment, risk.KindPayment, risk.KindCardTopup} {
		if _, err := e.app.Risk.Decide(ctx, risk.Event{Kind: kind, Subject: risk.Subject{UserID: "usr_chart", Amount: 500}}); err != nil {
			t.Fatal(err)
		}
	}
	user := e.browser(t)
	user.get("/login")
	for range 3 {
		user.post("/login", url.Values{"email": {"nobody@example.com"}, "password": {"guess guess guess"}})
	}
	admin := e.bootstrapAdmin(t, "charts@example.com", time.Now)
	a := admin.get("/ops/")
	for _, want := range []string{`id="chart-payments"`, `合計 2件`, `id="chart-topups"`, `合計 1件`, `id="chart-failed-logins"`, `合計 3件`, `<svg viewBox="0 0 1440 100"`} {
		if !strings.Contains(a.body, want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}
}

// TestConsoleRules: a risk operator drafts a rule (one that does not
// compile is refused with the compiler's words, nothing saved), backtests
// the draft, and asks for its publication; the draft goes live only when
// a second risk operator approves.
func TestConsoleRules(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.bootstrapAdmin(t, "rules@example.com", time.Now)
		second := e.invite(t, admin, "risk2@example.com", ops.RoleRisk)
		a := admin.get("/ops/rules")
		if a.status != 200 || !strings.Contains(a.body, `class="rule-live"`) {
			t.Fatalf("the rules page: %d %s", a.status, a.body)
		}
		before := strings.Count(a.body, "<tr id=\"rule-")
		draft := url.Values{"name": {"very big payments"}, "expression": {`amount >= `}, "action": {"hold"}, "reason": {"very big"}, "reason_ja": {"高額のため"}}
		if a := admin.post("/ops/rules", draft); a.status != 400 || strings.Count(a.body, "<tr id=\"rule-") != before {
			t.Errorf("a draft that does not compile = %d", a.status)
		}
		draft.Set("expression", `kind == "payment" && amount >= 900000`)
		a = admin.post("/ops/rules", draft)
		if !strings.Contains(a.body, `data-notice="console.rule_drafted"`) || strings.Count(a.body, "<tr id=\"rule-") != before+1 {
			t.Fatalf("after the draft: %s", a.body)
		}
		m := draftRE.FindStringSubmatch(a.body)
		if m == nil {
			t.Fatalf("no draft listed: %s", a.body)
		}
		id, version := m[1], m[2]
		if a := admin.get("/ops/rules/" + id + "/" + version + "/backtest?days=7"); a.status != 200 || !strings.Contains(a.body, `id="backtest"`) {
			t.Errorf("the backtest: %d %s", a.status, a.body)
		}
		if a := admin.get("/ops/rules/" + id + "/" + version + "/backtest?days=400"); a.status != 400 {
			t.Errorf("a backtest over 90 days = %d, want 400", a.status)
		}
		admin.get("/ops/rules")
		if a := admin.post("/ops/rules/"+id+"/"+version+"/publish", url.Values{"reason": {"whale protection"}}); a.path != "/ops/approvals" || !strings.Contains(a.body, "risk.rule_publish") && !strings.Contains(a.body, "リスクルールの公開") {
			t.Fatalf("after asking to publish: %s %s", a.path, a.body)
		}
		list := second.get("/ops/approvals")
		if !strings.Contains(list.body, `{&#34;version&#34;:`+version+`}`) {
			t.Errorf("the approval does not show the version to publish: %s", list.body)
		}
		approval := approvalIDRE.FindStringSubmatch(admin.get("/ops/approvals").body)[1]
		if a := admin.post("/ops/approvals/"+approval+"/approve", url.Values{"reason": {"mine"}}); a.status != 403 {
			t.Errorf("the requester's own approval = %d", a.status)
		}
		second.get("/ops/approvals")
		second.post("/ops/approvals/"+approval+"/approve", url.Values{"reason": {"backtest is clean"}})
		if a := second.get("/ops/rules"); !strings.Contains(a.body, `<tr id="rule-`+id+`-v`+version+`" class="rule-live">`) {
			t.Errorf("the approved draft is not live: %s", a.body)
		}
	})
}

// draftRE finds a draft on the rules page: its id and version.
var draftRE = regexp.MustCompile(`<tr id="rule-([^"]+)-v(\d+)" class="rule-draft">`)

// TestConsoleIncidentSearch: a risk operator searches for a pattern and
// sees the users it finds; a compensation from a search with no money
// event is refused by the service with its reason; a bad amount is a
// clear error.
func TestConsoleIncidentSearch(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	user := e.browser(t)
	user.signUp("victim@example.com", "correct horse battery")
	other := e.browser(t) // a second device
	other.get("/login")
	if a := other.post("/login", url.Values{"email": {"victim@example.com"}, "password": {"correct horse battery"}}); a.path != "/" {
		t.Fatalf("login from a second device ended on %s", a.path)
	}
	if _, err := audit.New(e.app.DB).Chain(context.Background()); err != nil {
		t.Fatal(err)
	}
	admin := e.bootstrapAdmin(t, "hunter@example.com", time.Now)
	a := admin.get("/ops/search?events=login_new_device&within=24h")
	if a.status != 200 || !strings.Contains(a.body, `id="search-result"`) || !strings.Contains(a.body, "victim@example.com") {
		t.Fatalf("the search: %d %s", a.status, a.body)
	}
	if a := admin.get("/ops/search?events=login_new_device&min_amount=abc"); a.status != 400 || !strings.Contains(a.body, "金額は円単位") {
		t.Errorf("a bad amount = %d", a.status)
	}
	a = admin.post("/ops/search/compensation", url.Values{"events": {"login_new_device"}, "within": {"24h"}, "reason": {"pay them back"}})
	if a.status != 400 || !strings.Contains(a.body, "お金の動くイベント") {
		t.Errorf("a compensation without a money event = %d: %s", a.status, a.body)
	}
	if a := admin.get("/ops/compensations/cmp_nope"); a.status != 404 {
		t.Errorf("an unknown compensation = %d, want 404", a.status)
	}
}

// TestConsoleStuffingAlerts: failures against several accounts from one
// address raise identity's alert, which the dashboard shows.
func TestConsoleStuffingAlerts(t *testing.T) {
	e := newEnvWith(t, storetest.Open(t, store.SQLite, app.Migrations()...), func(c *app.Config) {
		c.IdentityLimits = &identity.Limits{StuffingAccounts: 3}
	})
	for i := range 3 {
		e.browser(t).signUp(fmt.Sprintf("target%d@example.com", i), "correct horse battery")
	}
	attacker := e.browser(t)
	attacker.get("/login")
	for i := range 3 {
		attacker.post("/login", url.Values{"email": {fmt.Sprintf("target%d@example.com", i)}, "password": {"wrong password 123"}})
	}
	admin := e.bootstrapAdmin(t, "watch@example.com", time.Now)
	a := admin.get("/ops/")
	if !strings.Contains(a.body, "<strong>IPアドレス</strong> <code>127.0.0.1</code>") {
		t.Errorf("the dashboard shows no stuffing alert: %s", a.body)
	}
}

// TestConsoleCases: an operator opens a case from a user's page (a second
// one while it is open is refused), writes a note, starts investigating,
// and closes it as confirmed fraud with a freeze: the user is frozen in
// the same step, and the closed case takes no more notes.
func TestConsoleCases(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		user := e.browser(t)
		user.signUp("suspect@example.com", "correct horse battery")
		admin := e.bootstrapAdmin(t, "investigator@example.com", time.Now)
		userPath := admin.get("/ops/users?email=suspect@example.com").path
		uid := userID(userPath)
		a := admin.post("/ops/cases", url.Values{"user_id": {uid}, "title": {"card testing from a new device"}})
		if !strings.HasPrefix(a.path, "/ops/cases/") || !strings.Contains(a.body, "card testing from a new device") {
			t.Fatalf("after opening: %s %s", a.path, a.body)
		}
		casePath := a.path
		admin.get(userPath)
		if a := admin.post("/ops/cases", url.Values{"user_id": {uid}, "title": {"again"}}); a.status != 409 {
			t.Errorf("a second open case = %d, want 409", a.status)
		}
		admin.get(casePath)
		if a := admin.post(casePath+"/notes", url.Values{"text": {"three cards in ten minutes"}}); !strings.Contains(a.body, "three cards in ten minutes") {
			t.Errorf("the note is not on the timeline")
		}
		if a := admin.post(casePath+"/status", url.Values{"status": {"investigating"}, "reason": {"looking"}}); !strings.Contains(a.body, `id="case-status">調査中<`) {
			t.Errorf("not investigating: %s", a.body)
		}
		if a := admin.post(casePath+"/status", url.Values{"status": {"closed"}, "outcome": {"false_positive"}, "freeze": {"1"}, "reason": {"x"}}); a.status != 400 {
			t.Errorf("a freeze with a false positive = %d, want 400", a.status)
		}
		a = admin.post(casePath+"/status", url.Values{"status": {"closed"}, "outcome": {"confirmed_fraud"}, "freeze": {"1"}, "reason": {"the issuer confirmed"}})
		if !strings.Contains(a.body, `id="case-status">完了<`) || strings.Contains(a.body, `id="note-form"`) {
			t.Errorf("after closing: %s", a.body)
		}
		if err := e.app.Controls.CheckFrozen(context.Background(), uid); err == nil {
			t.Error("the close with a freeze did not freeze the user")
		}
		if a := admin.post(casePath+"/notes", url.Values{"text": {"late"}}); a.status != 409 {
			t.Errorf("a note on a closed case = %d, want 409", a.status)
		}
		if a := admin.get("/ops/cases?status=closed"); !strings.Contains(a.body, "card testing from a new device") {
			t.Errorf("the closed case is not listed")
		}
	})
}

// TestConsoleLanguageAndNotFound: the console switches to English (its
// own form, its own CSRF binding), before and after login; an unknown
// console path is the console's HTML 404, and /ops goes to /ops/.
func TestConsoleLanguageAndNotFound(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	anon := e.browser(t)
	anon.get("/ops/login")
	if a := anon.post("/ops/lang", url.Values{"lang": {"en"}, "next": {"/ops/login"}}); a.path != "/ops/login" || !strings.Contains(a.body, "Operator login") {
		t.Errorf("the English login page: %s %s", a.path, a.body)
	}
	admin := e.bootstrapAdmin(t, "lang@example.com", time.Now)
	admin.get("/ops/")
	if a := admin.post("/ops/lang", url.Values{"lang": {"en"}, "next": {"/ops/"}}); !strings.Contains(a.body, "Kill switches") || !strings.Contains(a.body, `lang="en"`) {
		t.Errorf("the English dashboard: %s", a.body)
	}
	a := admin.get("/ops/nothing-here")
	if a.status != 404 || !strings.Contains(a.body, `href="/ops/"`) || !strings.Contains(a.header.Get("Content-Type"), "text/html") {
		t.Errorf("an unknown console path = %d %s", a.status, a.body)
	}
	if a := admin.get("/ops"); a.path != "/ops/" {
		t.Errorf("/ops ended on %s", a.path)
	}
}

// TestConsoleReviews: a transfer the risk rules hold is in the review
// queue with its amount and reason (and counted on the dashboard); a
// risk operator rejects it with a reason, once: the money stays with the
// sender, and a second decision is refused.
func TestConsoleReviews(t *testing.T) {
	e := newEnvWith(t, storetest.Open(t, store.SQLite, app.Migrations()...), func(c *app.Config) {
		c.RiskRules = []risk.Rule{{ID: "hold_p2p", Version: 1, Name: "every transfer", Expression: `kind == "p2p"`,
			Action: risk.Hold, Reason: "every transfer is looked at", ReasonJA: "確認のため"}}
	})
	ctx := context.Background()
	sess, tr := e.sendMoney(t, 3_000)
	if tr.Status != "held" {
		t.Fatalf("the transfer: %+v, want held", tr)
	}

	admin := e.bootstrapAdmin(t, "reviewer@example.com", time.Now)
	if a := admin.get("/ops/"); !strings.Contains(a.body, `id="review-count">1<`) {
		t.Errorf("the dashboard does not count the held transfer")
	}
	a := admin.get("/ops/reviews")
	if !strings.Contains(a.body, `id="review-`+tr.ID+`"`) || !strings.Contains(a.body, "3,000円") || !strings.Contains(a.body, "every transfer is looked at") {
		t.Fatalf("the review queue: %s", a.body)
	}
	if a := admin.post("/ops/reviews/"+tr.ID+"/reject", url.Values{"reason": {""}}); a.status != 400 {
		t.Errorf("a decision without a reason = %d, want 400", a.status)
	}
	if a := admin.post("/ops/reviews/"+tr.ID+"/reject", url.Values{"reason": {"the sender did not mean it"}}); !strings.Contains(a.body, `data-notice="console.review_done"`) || strings.Contains(a.body, `id="review-`+tr.ID+`"`) {
		t.Errorf("after the rejection: %s", a.body)
	}
	if a := admin.post("/ops/reviews/"+tr.ID+"/approve", url.Values{"reason": {"changed my mind"}}); a.status != 409 {
		t.Errorf("a second decision = %d, want 409", a.status)
	}
	if b, err := e.app.Wallet.Balance(ctx, sess.UserID); err != nil || b.Money != 10_000 {
		t.Errorf("the sender's money after the rejection = %d (%v), want 10,000", b.Money, err)
	}
}

// TestConsoleCompensationFromSearch: a risk operator finds the senders
// of transfers with the incident search and asks to pay them back; the
// compensation waits for a second risk operator, who approves it.
func TestConsoleCompensationFromSearch(t *testing.T) {
	e := newEnvWith(t, storetest.Open(t, store.SQLite, app.Migrations()...), func(c *app.Config) {
		c.RiskRules = []risk.Rule{{ID: "never", Version: 1, Name: "never", Expression: `amount < 0`, Action: risk.Decline, Reason: "never"}}
	})
	_, tr := e.sendMoney(t, 3_000)
	if tr.Status != "succeeded" {
		t.Fatalf("the transfer: %+v", tr)
	}
	admin := e.bootstrapAdmin(t, "refunds@example.com", time.Now)
	second := e.invite(t, admin, "refunds2@example.com", ops.RoleRisk)
	a := admin.get("/ops/search?events=p2p")
	if !strings.Contains(a.body, "sender@example.com") || !strings.Contains(a.body, "3,000円") {
		t.Fatalf("the search: %s", a.body)
	}
	a = admin.post("/ops/search/compensation", url.Values{"events": {"p2p"}, "reason": {"incident 9: double transfers"}})
	if !strings.HasPrefix(a.path, "/ops/compensations/") || !strings.Contains(a.body, "承認待ち") || !strings.Contains(a.body, "3,000円") {
		t.Fatalf("the compensation: %s %s", a.path, a.body)
	}
	compPath := a.path
	list := second.get("/ops/approvals")
	id := approvalIDRE.FindStringSubmatch(list.body)
	if id == nil || !strings.Contains(list.body, "補償の支払い") {
		t.Fatalf("no compensation to approve: %s", list.body)
	}
	if a := second.post("/ops/approvals/"+id[1]+"/approve", url.Values{"reason": {"matches the incident"}}); !strings.Contains(a.body, `data-notice="console.approval_approved"`) {
		t.Fatalf("the approval: %s", a.body)
	}
	if a := second.get(compPath); strings.Contains(a.body, "承認待ち") {
		t.Errorf("the compensation still waits after its approval: %s", a.body)
	}
}

// TestConsoleRoleChange: an admin asks for an operator's roles to change
// on the operators page; the change waits for a second admin (the lone
// admin's request cannot be approved by itself).
func TestConsoleRoleChange(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	admin := e.bootstrapAdmin(t, "chief@example.com", time.Now)
	support := e.invite(t, admin, "helpdesk@example.com", ops.RoleSupport)
	a := admin.get("/ops/operators")
	if !strings.Contains(a.body, `name="roles" value="support" checked`) {
		t.Fatalf("the role form does not start from the operator's roles: %s", a.body)
	}
	id := support.session().Operator.ID
	if a := admin.post("/ops/operators/"+id+"/roles", url.Values{"roles": {"risk"}, "reason": {"on call for risk"}}); a.path != "/ops/approvals" || !strings.Contains(a.body, "オペレーターの権限変更") || !strings.Contains(a.body, "risk") {
		t.Fatalf("after asking: %s %s", a.path, a.body)
	}
	pending := approvalIDRE.FindStringSubmatch(admin.get("/ops/approvals").body)[1]
	if a := admin.post("/ops/approvals/"+pending+"/approve", url.Values{"reason": {"mine"}}); a.status != 403 {
		t.Errorf("the requester's own approval = %d, want 403", a.status)
	}
	if a := admin.post("/ops/operators/"+id+"/roles", url.Values{"roles": {"root"}, "reason": {"x"}}); a.status != 400 {
		t.Errorf("an unknown role = %d, want 400", a.status)
	}
}
