package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

var (
	merchantIDRE = regexp.MustCompile(`merchant_id:\s+(mer_\S+)`)
	secretKeyRE  = regexp.MustCompile(`secret_key:\s+(sk_\S+)`)
	whsecRE      = regexp.MustCompile(`webhook_secret:\s+(whsec_\S+)`)
)

func TestMerchantCommands(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			var dbArgs []string
			env := map[string]string{}
			switch d {
			case store.SQLite:
				dbArgs = []string{"--data-dir", dir}
			case store.Postgres:
				dbArgs = []string{"--db", storetest.PostgresURL(t)}
				env["SAIFU_SECRET_KEY"] = "a-server-secret-of-at-least-32-characters"
			}
			getenv := func(k string) string { return env[k] }
			cmd := func(args ...string) (string, error) {
				var stdout, stderr bytes.Buffer
				err := runMerchant(ctx, append(args, dbArgs...), getenv, &stdout, &stderr)
				return stdout.String(), err
			}

			out, err := cmd("create", "--name", "Saifu Cafe", "--webhook-url", "https://cafe.example/hooks")
			if err != nil {
				t.Fatal(err)
			}
			id, key, whsec := match(t, merchantIDRE, out), match(t, secretKeyRE, out), match(t, whsecRE, out)
			if !strings.Contains(out, "shown only once") {
				t.Errorf("no warning in %q", out)
			}

			// The server's merchant service, with the server's seal key, sees
			// the merchant, its key and its webhook secret.
			svc := serverMerchants(t, d, dir, dbArgs, env)
			m, err := svc.Authenticate(ctx, key)
			if err != nil || m.ID != id || m.Name != "Saifu Cafe" {
				t.Fatalf("Authenticate = %+v, %v", m, err)
			}
			if sec, err := svc.WebhookSecret(ctx, id); err != nil || string(sec) != whsec {
				t.Fatalf("WebhookSecret = %q, %v", sec, err)
			}

			out, err = cmd("create", "--name", "山田商店", "--name-en", "YAMADA SHOTEN")
			if err != nil {
				t.Fatal(err)
			}
			if yamada, err := svc.Get(ctx, match(t, merchantIDRE, out)); err != nil || yamada.NameEN != "YAMADA SHOTEN" {
				t.Fatalf("merchant created with --name-en = %+v, %v", yamada, err)
			}

			out, err = cmd("rotate-key", "--id", id)
			if err != nil {
				t.Fatal(err)
			}
			newKey := match(t, secretKeyRE, out)
			if _, err := svc.Authenticate(ctx, key); apperr.CodeOf(err) != apperr.Unauthenticated {
				t.Fatalf("old key after rotate-key: %v", err)
			}
			if _, err := svc.Authenticate(ctx, newKey); err != nil {
				t.Fatalf("new key: %v", err)
			}

			for _, tt := range []struct {
				name string
				args []string
				want func(error) bool
			}{
				{"create without name", []string{"create"}, isUsage},
				{"create with bad URL", []string{"create", "--name", "X", "--webhook-url", "http://remote.example/"}, isCode(apperr.Invalid)},
				{"create with kanji and no English name", []string{"create", "--name", "山田商店"}, isCode(apperr.Invalid)},
				{"rotate without id", []string{"rotate-key"}, isUsage},
				{"rotate unknown", []string{"rotate-key", "--id", "mer_nosuch"}, isCode(apperr.NotFound)},
				{"rotate with too long grace", []string{"rotate-key", "--id", id, "--grace", "48h"}, isUsage},
				{"unknown subcommand", []string{"delete"}, isUsage},
			} {
				t.Run(tt.name, func(t *testing.T) {
					if _, err := cmd(tt.args...); !tt.want(err) {
						t.Fatalf("err = %v", err)
					}
				})
			}
		})
	}
}

func match(t *testing.T, re *regexp.Regexp, s string) string {
	t.Helper()
	m := re.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%s not in output:\n%s", re, s)
	}
	return m[1]
}

func isUsage(err error) bool { return errors.Is(err, errUsage) }

func isCode(c apperr.Code) func(error) bool {
	return func(err error) bool { return err != nil && apperr.CodeOf(err) == c }
}

// serverMerchants builds the merchant service of the server's app
// (app.New, as `saifu serve` does) on the same database and data dir.
func serverMerchants(t *testing.T, d store.Dialect, dir string, dbArgs []string, env map[string]string) *merchant.Service {
	t.Helper()
	c := dbConfig{dataDir: dir}
	if d == store.Postgres {
		c.db = dbArgs[1]
	} else if _, err := os.Stat(filepath.Join(dir, "secret.key")); err != nil {
		t.Fatalf("merchant create did not keep the server secret: %v", err)
	}
	db, err := c.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a, err := app.New(context.Background(), app.Config{DB: db, DataDir: dir, SecretKey: env["SAIFU_SECRET_KEY"],
		PublicURL: "http://localhost:8080", Mail: notify.NewConsole(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a.Merchants
}
