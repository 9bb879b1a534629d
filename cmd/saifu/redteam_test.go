package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/redteam"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// cheapHashes makes the demo's password hashes cheap (the suite signs
// up a few dozen accounts and floods the login under -race); every
// control stays at its production setting.
func cheapHashes(c *app.Config) {
	c.PasswordParams = password.Params{MemoryKiB: 64, Time: 1, Threads: 1}
}

// redteamRunMax bounds one run of the whole suite (about 30 s on a
// laptop without -race).
const redteamRunMax = 4 * time.Minute

// demo is a running `saifu serve --demo`: its URL, the demo merchant's
// key, and the flags that name its database (for `saifu ops`).
type demo struct {
	base, key string
	dbArgs    []string
	out       *syncBuffer // what serve printed
}

// startDemo starts `saifu serve --demo` on SQLite (or on dsn) with
// adjust applied after cheapHashes, and extra flags.
func startDemo(t *testing.T, dsn string, adjust func(*app.Config), extra ...string) demo {
	t.Helper()
	dbArgs := []string{"--data-dir", filepath.Join(t.TempDir(), "data")}
	if dsn != "" {
		dbArgs = append(dbArgs, "--db", dsn)
	}
	args := append(append([]string{"--demo"}, dbArgs...), extra...)
	base, out := startServerAdjusted(t, func(c *app.Config) {
		cheapHashes(c)
		if adjust != nil {
			adjust(c)
		}
	}, args...)
	m := demoKeyRE.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("serve --demo printed no merchant key:\n%s", out.String())
	}
	return demo{base: base, key: m[1], dbArgs: dbArgs, out: out}
}

var bootstrapTokenRE = regexp.MustCompile(`bootstrap_token:\s+(opsb_\S+)`)

// opsToken runs `saifu ops bootstrap` on the demo's database, as its
// operator would on the server, and returns the one-time token.
func (d demo) opsToken(t *testing.T) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"ops", "bootstrap"}, d.dbArgs...), func(string) string { return "" }, &stdout, &stderr)
	m := bootstrapTokenRE.FindStringSubmatch(stdout.String())
	if err != nil || m == nil {
		t.Fatalf("saifu ops bootstrap: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	return m[1]
}

// redteamRun runs `saifu redteam` through run and returns its error
// and output.
func redteamRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), redteamRunMax)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, append([]string{"redteam"}, args...), func(string) string { return "" }, &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

// TestRedteamSuite is CI's red team: the whole suite against a live
// `saifu serve --demo` on SQLite and on PostgreSQL, failing on any
// breach or error, with its JUnit report. On PostgreSQL a second node
// serves the same database (--node), as behind a load balancer; SQLite
// is one node, so the scenarios of every node skip there. The idle
// operator session skips on both (its own test waits it out: the suite's
// operators must not idle out between scenarios).
func TestRedteamSuite(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			dsn := ""
			if d == store.Postgres {
				dsn = storetest.PostgresURL(t)
			}
			d := startDemo(t, dsn, nil)
			args := []string{"--target", d.base, "--merchant-key", d.key}
			wantSkipped := 1 // netlogon/idle-operator-session-reuse
			if dsn != "" {
				args = append(args, "--node", d.node(t, nil))
			} else {
				wantSkipped += nodeScenarios()
			}
			junit := filepath.Join(t.TempDir(), "redteam.xml")
			out, err := redteamRun(t, append(args, "--ops-bootstrap-token", d.opsToken(t), "--junit", junit)...)
			if err != nil {
				t.Fatalf("saifu redteam: %v\n%s", err, out)
			}
			n := len(redteam.Scenarios()) - wantSkipped
			skipped := fmt.Sprintf(", %d skipped", wantSkipped)
			if wantSkipped == 0 {
				skipped = ""
			}
			if want := "passed, 0 failed" + skipped + " ("; !strings.Contains(out, want) {
				t.Errorf("summary lacks %q:\n%s", want, out)
			}
			got := 0
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "defended ") {
					got++
				}
			}
			if got != n {
				t.Errorf("%d scenarios defended, want all %d:\n%s", got, n, out)
			}
			x, err := os.ReadFile(junit)
			if err != nil || !bytes.Contains(x, []byte(`failures="0" errors="0"`)) {
				t.Errorf("JUnit report (%v):\n%s", err, x)
			}
		})
	}
}

// node starts another `saifu serve --demo` on d's database and secret
// (its data dir), with adjust applied after cheapHashes, and returns its
// base URL: a second node behind the same load balancer.
func (d demo) node(t *testing.T, adjust func(*app.Config)) string {
	t.Helper()
	base, _ := startServerAdjusted(t, func(c *app.Config) {
		cheapHashes(c)
		if adjust != nil {
			adjust(c)
		}
	}, append([]string{"--demo"}, d.dbArgs...)...)
	return base
}

// nodeScenarios counts the scenarios that need the target's other nodes.
func nodeScenarios() int {
	n := 0
	for _, s := range redteam.Scenarios() {
		if s.Nodes {
			n++
		}
	}
	return n
}

// TestRedteamKillSwitchReachesEveryNode: the kill-switch scenario of
// every node breaches against a second node that hears of switches late
// (its watcher polls every 10 s and trusts its copy for 30 s, no
// notifications: the control turned down), on PostgreSQL; the suite
// shows it defended against a node with the defaults.
func TestRedteamKillSwitchReachesEveryNode(t *testing.T) {
	d := startDemo(t, storetest.PostgresURL(t), nil)
	late := d.node(t, func(c *app.Config) {
		c.SwitchWatch = ops.WatchConfig{PollEvery: 10 * time.Second, StaleAfter: 30 * time.Second, NoListen: true}
	})
	const scenario = "incident-response/kill-switch-on-every-node"
	out, err := redteamRun(t, "--target", d.base, "--node", late, "--ops-bootstrap-token", d.opsToken(t), "--only", scenario)
	if exitCode(err) != 1 || !strings.Contains(out, "BREACHED "+scenario) {
		t.Errorf("a node that hears late: want BREACHED %s, got err %v:\n%s", scenario, err, out)
	}
}

// TestRedteamIdleOperatorSession: an operator session left unused past
// the target's idle timeout (--ops-session-idle 2s) is refused —
// defended; against a target whose sessions last the default 15 minutes,
// the scenario told 2 s breaches.
func TestRedteamIdleOperatorSession(t *testing.T) {
	const scenario = "netlogon/idle-operator-session-reuse"
	for _, tc := range []struct {
		name   string
		serve  []string
		expect string
	}{
		{"idle timeout on", []string{"--ops-session-idle", "2s"}, "defended "},
		{"idle timeout off (15 minutes)", nil, "BREACHED "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := startDemo(t, "", nil, tc.serve...)
			out, err := redteamRun(t, "--target", d.base, "--ops-bootstrap-token", d.opsToken(t), "--ops-session-idle", "2s", "--only", scenario)
			if !strings.Contains(out, tc.expect+scenario) || (tc.expect == "defended ") != (err == nil) {
				t.Errorf("want %s%s, got err %v:\n%s", tc.expect, scenario, err, out)
			}
		})
	}
}

// TestRedteamCompensationPaidOnce: a control of our own without a
// setting, the compensation payment's idempotency key. With the real
// payer the scenario is defended; with a payer that lost its key and
// reports every payment lost at commit (app.Config.BrokenCompensation),
// the payment job pays the victim again and the scenario breaches.
func TestRedteamCompensationPaidOnce(t *testing.T) {
	const scenario = "incident-response/compensation-paid-once"
	for _, tc := range []struct {
		name   string
		broken bool
		expect string
	}{
		{"the real payer, keyed by the ledger", false, "defended "},
		{"a payer without its idempotency key", true, "BREACHED "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := startDemo(t, "", func(c *app.Config) { c.BrokenCompensation = tc.broken })
			out, err := redteamRun(t, "--target", d.base, "--ops-bootstrap-token", d.opsToken(t), "--only", scenario)
			if !strings.Contains(out, tc.expect+scenario) || (tc.expect == "defended ") != (err == nil) {
				t.Errorf("want %s%s, got err %v:\n%s", tc.expect, scenario, err, out)
			}
		})
	}
}

// TestRedteamRefusesTargetWithoutSandbox: a server without --demo is
// refused unless --i-own-this-target; with it, the run goes on (and its
// scenarios fail there: they need the sandbox's mailbox).
func TestRedteamRefusesTargetWithoutSandbox(t *testing.T) {
	base := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	out, err := redteamRun(t, "--target", base, "--only", "docomo-koza/link-without-kyc")
	if err == nil || !strings.Contains(err.Error(), "no sandbox") || strings.Contains(out, "link-without-kyc") {
		t.Fatalf("without --i-own-this-target: err %v, output:\n%s", err, out)
	}
	out, err = redteamRun(t, "--target", base, "--only", "docomo-koza/link-without-kyc", "--i-own-this-target")
	if exitCode(err) != 1 || !strings.Contains(out, "error    docomo-koza/link-without-kyc") || !strings.Contains(out, "0 passed, 1 failed") {
		t.Fatalf("with --i-own-this-target: err %v, output:\n%s", err, out)
	}
}

// TestRedteamScenariosCanFail: for each control with a setting, the
// matching scenario reports BREACHED against a server with the control
// turned down to nothing, and defended with it at its production
// setting; for a control of the outside world without a setting, against
// a deliberately broken sandbox counterpart. A scenario that cannot fail
// would pass both ways.
func TestRedteamScenariosCanFail(t *testing.T) {
	// huge is far beyond what any scenario sends and within the
	// throttle's own bound (1e9): a limit past that bound is a 500 on
	// every request, which a scenario must not take for a missing limit.
	const huge = 1_000_000
	unthrottled := func(c *app.Config) {
		lim := identity.DefaultLimits
		for _, r := range []*identity.Rate{&lim.LoginGlobal, &lim.LoginGlobalKnown, &lim.LoginIP, &lim.LoginNetwork, &lim.LoginAccount, &lim.LoginAccountKnown} {
			*r = identity.Rate{N: huge, Window: time.Second}
		}
		lim.FailuresFree, lim.StuffingAccounts, lim.StuffingAttemptsMin = huge, huge, huge
		c.IdentityLimits = &lim
	}
	cardAttemptsUnlimited := func(c *app.Config) {
		c.FundingLimits.CardAttemptsUser, c.FundingLimits.CardAttemptsDevice, c.FundingLimits.CardAttemptsIP = huge, huge, huge
		c.RiskRules = withoutRule(risk.DefaultRules(), "paypay-card-registration-burst") // the rule's layer too
	}
	tests := []struct {
		name     string
		scenario string
		off      func(*app.Config)
	}{
		{"card attempt limits off", "paypay-2018/security-code-brute-force", cardAttemptsUnlimited},
		{"card attempt limits off, guesses spread over cards, accounts and networks", "paypay-2018/security-code-guessing-across-cards-accounts-ips", cardAttemptsUnlimited},
		{"cooling-off of a nanosecond", "sbi/withdrawal-after-password-reset", func(c *app.Config) { c.CoolingOff = time.Nanosecond }},
		{"cooling-off of a nanosecond after an email change", "sbi/withdrawal-after-email-change", func(c *app.Config) { c.CoolingOff = time.Nanosecond }},
		{"new-link waiting period of a nanosecond", "sbi/withdrawal-to-new-bank-link", func(c *app.Config) { c.FundingLimits.WithdrawalWait = time.Nanosecond }},
		{"new-link waiting period of a nanosecond, destination changed", "sbi/change-destination-then-withdraw", func(c *app.Config) { c.FundingLimits.WithdrawalWait = time.Nanosecond }},
		// The fixed controls are default rules: without the rule, the
		// scenario breaches (the settings rows above turn the same
		// controls down through the periods the rules read).
		{"cooling-off rule removed", "sbi/withdrawal-after-password-reset", func(c *app.Config) {
			c.RiskRules = withoutRule(risk.DefaultRules(), "cooling-off-money-out")
		}},
		{"new-destination rule removed", "sbi/withdrawal-to-new-bank-link", func(c *app.Config) {
			c.RiskRules = withoutRule(risk.DefaultRules(), "sbi-new-destination-wait")
		}},
		{"3-D Secure rules removed", "7pay/takeover-tops-up-from-card", func(c *app.Config) {
			// The victim's card is new: the first-top-up rule would ask too.
			c.RiskRules = withoutRule(withoutRule(risk.DefaultRules(), "7pay-card-topup-untrusted-session"), "card-topup-first-or-large")
		}},
		{"passkey origins opened to the phishing site", "onedrive/passkey-assertion-for-another-origin", func(c *app.Config) {
			c.RPOrigins = []string{c.PublicURL, "https://saifu-login.example"}
		}},
		// Controls without a setting: a deliberately broken sandbox
		// counterpart (sandbox.Faults, reachable from Go code only).
		{"a bank that skips its one-time code", "docomo-koza/link-without-bank-otp", func(c *app.Config) { c.SandboxFaults.BankSkipsOTP = true }},
		{"a bank that tells the holder nothing and keeps the phone to itself", "docomo-koza/bank-holder-not-told", func(c *app.Config) { c.SandboxFaults.BankSilent = true }},
		{"a bank that links on the account number, PIN and birth date", "docomo-koza/link-with-account-number-pin-birth-date", func(c *app.Config) { c.SandboxFaults.BankTrustsKnowledge = true }},
		{"accounts per card unbounded", "paypay-2018/one-card-many-accounts", func(c *app.Config) {
			// Both layers off: funding's fixed limit and the risk rule.
			c.FundingLimits.UsersPerCardMax = huge
			c.RiskRules = withoutRule(risk.DefaultRules(), "paypay-one-card-many-accounts")
		}},
		// Last, as in a run (Scenario.Last): its defended run leaves the
		// shared server's login throttles tight for the attackers'
		// address, and the rows above log in from there.
		{"login throttles off", "sbi/credential-stuffing-flood", unthrottled},
	}
	onBase := startDemo(t, "", nil).base
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			offBase := startDemo(t, "", tc.off).base
			out, err := redteamRun(t, "--target", offBase, "--only", tc.scenario)
			if exitCode(err) != 1 || !strings.Contains(out, "BREACHED "+tc.scenario) {
				t.Errorf("control off: want BREACHED %s, got err %v:\n%s", tc.scenario, err, out)
			}
			out, err = redteamRun(t, "--target", onBase, "--only", tc.scenario)
			if err != nil || !strings.Contains(out, "defended "+tc.scenario) {
				t.Errorf("control on: want defended %s, got err %v:\n%s", tc.scenario, err, out)
			}
		})
	}
}

// withoutRule is rules without the rule id.
func withoutRule(rules []risk.Rule, id string) []risk.Rule {
	return slices.DeleteFunc(rules, func(r risk.Rule) bool { return r.ID == id })
}
