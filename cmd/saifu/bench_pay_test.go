package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBenchPay runs `saifu bench pay` briefly on SQLite and checks that it
// reports payments, no errors and a verified ledger (not its speed).
func TestBenchPay(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole server for seconds")
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"bench", "pay", "--data-dir", filepath.Join(t.TempDir(), "data"),
		"--clients", "4", "--users", "4", "--duration", "2s"}, func(string) string { return "" }, &out, &errb)
	if err != nil {
		t.Fatalf("bench pay: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	report := out.String()
	checks := []struct {
		name string
		re   *regexp.Regexp
	}{
		{"header", regexp.MustCompile(`(?m)^saifu bench pay: sqlite, 4 clients, 4 users, 2s, server http://127\.0\.0\.1:\d+$`)},
		{"throughput", regexp.MustCompile(`(?m)^saifu pay: (\d+) payments in [0-9.]+s = \d+ payments/s \(charges (\d+), merchant \S+\)$`)},
		{"pair latency", regexp.MustCompile(`(?m)^payment \(code \+ charge\): p50 \S+  p99 \S+  max \S+$`)},
		{"charge latency", regexp.MustCompile(`(?m)^charge alone: +p50 \S+  p99 \S+  max \S+$`)},
		{"no errors", regexp.MustCompile(`(?m)^errors: none$`)},
		{"memory", regexp.MustCompile(`(?m)^peak memory \(RSS\): [0-9.]+ MiB$`)},
		{"verify", regexp.MustCompile(`(?m)^verify: OK \((\d+) journal entries\)$`)},
	}
	for _, c := range checks {
		if !c.re.MatchString(report) {
			t.Errorf("%s: no line matching %s in:\n%s", c.name, c.re, report)
		}
	}
	m := checks[1].re.FindStringSubmatch(report)
	if m == nil {
		return
	}
	payments, _ := strconv.Atoi(m[1])
	charges, _ := strconv.Atoi(m[2])
	if payments < 1 || payments != charges {
		t.Errorf("payments %d, charges %d: want ≥ 1 and equal (no failed charge)", payments, charges)
	}
	v := checks[6].re.FindStringSubmatch(report)
	if v == nil {
		return
	}
	// Every payment is at least one journal entry, besides the funding.
	if entries, _ := strconv.Atoi(v[1]); entries < payments {
		t.Errorf("verify saw %d journal entries for %d payments", entries, payments)
	}
}

// TestBenchPayCompareRisk runs `saifu bench pay --compare-risk` briefly on
// SQLite in the flow whose payment asks the risk engine (MPM): a run as
// shipped records a decision for every payment, a run without the engine
// none, each on a new database of its own, and the comparison of both is
// printed; a second comparison in the same directory is refused (its
// databases would not be new).
func TestBenchPayCompareRisk(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole server twice for seconds")
	}
	dir := filepath.Join(t.TempDir(), "data")
	args := []string{"bench", "pay", "--data-dir", dir, "--compare-risk", "--flow", "mpm", "--clients", "2", "--users", "2", "--duration", "1s"}
	var out, errb bytes.Buffer
	if err := run(context.Background(), args, func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("bench pay --compare-risk: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	report := out.String()
	runs := regexp.MustCompile(`(?m)^== round 1/1, risk-(on|off)-1: (\S+)\n(?:.*\n)*?saifu pay: (\d+) payments .*\n(?:.*\n)*?errors: (.*)\n(?:.*\n)*?risk decisions on payments: (\d+)\n`).FindAllStringSubmatch(report, -1)
	if len(runs) != 2 {
		t.Fatalf("want a risk-on and a risk-off run, got %d in:\n%s", len(runs), report)
	}
	for _, r := range runs {
		mode, db, payments, errs, decisions := r[1], r[2], r[3], r[4], r[5]
		if want := filepath.Join(dir, "risk-"+mode+"-1", "saifu.db"); db != want {
			t.Errorf("risk %s ran on %s, want the new database %s", mode, db, want)
		}
		if payments == "0" || errs != "none" {
			t.Errorf("risk %s: %s payments, errors %s", mode, payments, errs)
		}
		if mode == "on" && decisions != payments || mode == "off" && decisions != "0" {
			t.Errorf("risk %s: %s decisions for %s payments", mode, decisions, payments)
		}
	}
	for _, re := range []string{
		`(?m)^risk's cost, median of 1 run\(s\) each`,
		`(?m)^payments/s +\d+ +\d+ +[-+]\d+ \([-+][0-9.]+ %\)$`,
		`(?m)^payment p99 +\S+ +\S+ +[-+]\S+$`,
		`(?m)^errors: none$`,
	} {
		if !regexp.MustCompile(re).MatchString(report) {
			t.Errorf("no line matching %s in:\n%s", re, report)
		}
	}
	err := run(context.Background(), args, func(string) string { return "" }, &out, &errb)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "risk-on-1 exists") {
		t.Errorf("a second comparison in the same directory: %v (exit %d), want a usage error naming risk-on-1", err, exitCode(err))
	}
}

func TestBenchPayUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no clients", []string{"--clients", "0"}},
		{"too many clients", []string{"--clients", "10001"}},
		{"no users", []string{"--users", "0"}},
		{"no duration", []string{"--duration", "0s"}},
		{"stray argument", []string{"extra"}},
		{"unknown flow", []string{"--flow", "nfc"}},
		{"unknown risk mode", []string{"--risk", "maybe"}},
		{"compare with a risk mode", []string{"--compare-risk", "--risk", "off"}},
		{"rounds without compare", []string{"--compare-rounds", "2"}},
		{"no rounds", []string{"--compare-risk", "--compare-rounds", "0"}},
		{"record without target", []string{"--record", "acks.jsonl"}},
		{"retry-for without target", []string{"--retry-for", "5s"}},
		{"target with a risk mode", []string{"--target", "http://127.0.0.1:1", "--risk", "off"}},
		{"target with mpm", []string{"--target", "http://127.0.0.1:1", "--flow", "mpm"}},
		{"target without the nodes' secret", []string{"--target", "http://127.0.0.1:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"bench", "pay", "--data-dir", filepath.Join(t.TempDir(), "data")}, tt.args...)
			err := run(context.Background(), args, func(string) string { return "" }, &out, &errb)
			if exitCode(err) != 2 {
				t.Errorf("exit code %d (%v), want 2", exitCode(err), err)
			}
		})
	}
}
