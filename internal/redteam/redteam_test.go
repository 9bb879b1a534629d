package redteam

import (
	"bytes"
	"encoding/xml"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelect(t *testing.T) {
	for _, tc := range []struct {
		name, pattern string
		wantFirst     string
		wantErr       bool
	}{
		{name: "glob", pattern: "docomo-koza/*", wantFirst: "docomo-koza/bank-holder-not-told"},
		{name: "substring", pattern: "stuffing", wantFirst: "sbi/credential-stuffing-flood"},
		{name: "nothing matches", pattern: "no-such-incident", wantErr: true},
		{name: "bad glob", pattern: "[", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Select(tc.pattern)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Select(%q) error %v, want error %v", tc.pattern, err, tc.wantErr)
			}
			if err == nil && got[0].Name != tc.wantFirst {
				t.Errorf("Select(%q)[0] = %s, want %s", tc.pattern, got[0].Name, tc.wantFirst)
			}
		})
	}
}

// TestScenariosOrder: every scenario has an incident and an attack; the
// flood runs last, so that the throttles it tightens meet no other.
func TestScenariosOrder(t *testing.T) {
	all := Scenarios()
	if len(all) < 20 {
		t.Fatalf("%d scenarios", len(all))
	}
	for _, s := range all {
		if s.Attack == "" || !strings.Contains(s.Name, "/") {
			t.Errorf("scenario %q lacks an attack or an incident/attack name", s.Name)
		}
	}
	if last := all[len(all)-1].Name; last != "sbi/credential-stuffing-flood" {
		t.Errorf("last scenario %s, want the flood", last)
	}
}

func TestJUnit(t *testing.T) {
	rep := &Report{Target: "http://x", Results: []Result{
		{Name: "a/defended", Outcome: Defended},
		{Name: "a/breached", Outcome: Breached, Detail: "got in", Evidence: []string{"POST /x → 200"}},
		{Name: "b/error", Outcome: Failed, Detail: "no answer"},
		{Name: "b/skipped", Outcome: Skipped},
	}, Passed: 1, Failed: 2, Skipped: 1}
	var b bytes.Buffer
	if err := rep.WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
	}
	if err := xml.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	want := struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
	}{4, 1, 1, 1}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("JUnit counts (-got +want):\n%s", diff)
	}
	if !strings.Contains(b.String(), "POST /x → 200") {
		t.Errorf("JUnit lacks the evidence:\n%s", b.String())
	}
	if got := rep.Summary(); got != "1 passed, 2 failed, 1 skipped (0 requests sent to http://x)" {
		t.Errorf("Summary() = %q", got)
	}
}

func TestLuhn(t *testing.T) {
	if got := luhnComplete("424242424242424"); got != "4242424242424242" {
		t.Errorf("luhnComplete = %s, want 4242424242424242", got)
	}
}

// TestOperatorScenariosSkipWithoutToken: without --ops-bootstrap-token an
// operator scenario sends nothing and says what it needs.
func TestOperatorScenariosSkipWithoutToken(t *testing.T) {
	ss, err := Select("netlogon/viewer-switches-or-freezes")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := parseBase("http://127.0.0.1:1")
	got := runOne(t.Context(), base, Config{BaseURL: base.String()}, "tag", new(atomic.Int64), &opsCrew{}, nil, ss[0])
	if got.Outcome != Skipped || got.Requests != 0 || !strings.Contains(got.Detail, "--ops-bootstrap-token") {
		t.Errorf("runOne = %+v, want skipped naming --ops-bootstrap-token, no requests", got)
	}
}

func TestIsLoopback(t *testing.T) {
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"localhost", true}, {"127.0.0.1", true}, {"127.1.2.3", true},
		{"::1", false}, // one address only: nothing to spread over
		{"10.0.0.1", false}, {"saifu.example", false},
	} {
		if got := isLoopback(tc.host); got != tc.want {
			t.Errorf("isLoopback(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}

func TestPasskeyOrigin(t *testing.T) {
	for _, tc := range []struct {
		target, rpID, want string
	}{
		{"http://127.0.0.1:8080", "localhost", "http://localhost:8080"}, // the demo reached by its address
		{"http://localhost:8080", "localhost", "http://localhost:8080"},
		{"https://saifu.example", "saifu.example", "https://saifu.example"},
		{"https://pay.saifu.example", "saifu.example", "https://pay.saifu.example"},
		{"https://10.0.0.5", "saifu.example", "https://saifu.example"},
	} {
		u, err := parseBase(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		if got := passkeyOrigin(u, tc.rpID); got != tc.want {
			t.Errorf("passkeyOrigin(%s, %q) = %s, want %s", tc.target, tc.rpID, got, tc.want)
		}
	}
}
