package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// sandboxProbes are requests to every kind of /sandbox route; each is
// answered by the sandbox in demo mode (whatever its status, never 404).
var sandboxProbes = []struct{ method, path, body string }{
	{"GET", "/sandbox/", ""},
	{"GET", "/sandbox/api/messages?to=hanako%40example.com", ""},
	{"GET", "/sandbox/api/messages?to=%2B819000000001", ""},
	{"GET", "/sandbox/bank/0001/authorize", ""},
	{"POST", "/sandbox/bank/0001/login", "login_id=yamada&password=yamada-pass-0001"},
	{"POST", "/sandbox/bank/0001/token", "grant_type=authorization_code"},
	{"POST", "/sandbox/card/tokens", `{"number":"4242424242424242","exp_month":12,"exp_year":2040,"cvc":"123"}`},
	{"POST", "/sandbox/kyc/verify", `{"full_name":"x","birth_date":"1990-01-01","document_token":"sandbox-approve"}`},
}

func probe(t *testing.T, base, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	} else if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSandboxOnlyWithDemo: without --demo every /sandbox path is 404, the
// mailbox included, so nobody reads another account's reset mail over
// HTTP; with --demo the same requests reach the sandbox.
func TestSandboxOnlyWithDemo(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		want404  bool
		postgres bool
	}{
		{name: "demo", args: []string{"--demo"}},
		{name: "sqlite without smtp", args: nil, want404: true},
		{name: "sqlite with smtp", args: []string{"--smtp-url", "smtp://127.0.0.1:1?from=saifu@example.com"}, want404: true},
		{name: "postgres with smtp", args: []string{"--smtp-url", "smtp://127.0.0.1:1?from=saifu@example.com"}, want404: true, postgres: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--data-dir", filepath.Join(t.TempDir(), "data")}, tt.args...)
			if tt.postgres {
				args = append(args, "--db", storetest.PostgresURL(t))
			}
			base := startServer(t, args...)
			for _, p := range sandboxProbes {
				status, body := probe(t, base, p.method, p.path, p.body)
				if got := status == http.StatusNotFound; got != tt.want404 {
					t.Errorf("%s %s = %d %s; want 404: %v", p.method, p.path, status, body, tt.want404)
				}
			}
		})
	}
}

var consoleCodeRE = regexp.MustCompile(`(?s)----- email to hanako@example\.com .*?\b(\d{6})\b.*?----- end of message -----`)

// TestDevelopmentMailOnConsole: on SQLite without --smtp-url and without
// --demo, mail is printed on serve's console after a loud warning, and is
// not readable over HTTP.
func TestDevelopmentMailOnConsole(t *testing.T) {
	base, out := startServerOutput(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	if !strings.Contains(out.String(), "WARNING: no --smtp-url") {
		t.Fatalf("no start-up warning about mail on the console:\n%s", out.String())
	}
	status, body := probe(t, base, "POST", "/api/v1/signup", `{"email":"hanako@example.com","password":"correct horse battery staple"}`)
	if status != http.StatusAccepted {
		t.Fatalf("signup = %d %s", status, body)
	}
	deadline := time.Now().Add(20 * time.Second)
	for consoleCodeRE.FindStringSubmatch(out.String()) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the sign-up code never appeared on the console:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status, _ := probe(t, base, "GET", "/sandbox/api/messages?to=hanako%40example.com", ""); status != http.StatusNotFound {
		t.Errorf("mailbox over HTTP = %d, want 404", status)
	}
}

// TestPostgresNeedsMailRelay: on PostgreSQL (production) without
// --smtp-url and without --demo, serve refuses to start rather than keep
// or print mail.
func TestPostgresNeedsMailRelay(t *testing.T) {
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", storetest.PostgresURL(t)}, func(string) string { return "" }, &stdout, &stderr)
	if !errors.Is(err, app.ErrNoMailRelay) {
		t.Fatalf("serve on PostgreSQL without --smtp-url = %v, want app.ErrNoMailRelay; stdout:\n%s", err, stdout.String())
	}
	if strings.Contains(stdout.String(), "listening") {
		t.Errorf("serve listened before refusing:\n%s", stdout.String())
	}
}
