package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
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
