package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/saifu-pay/saifu/internal/ops"
)

const opsUsage = `usage: saifu ops <command> [flags]

commands:
  bootstrap   print a one-time token that creates the first admin operator
              (valid 1 h, single use; refused once an admin exists)

The token is spent with POST /ops/api/bootstrap {token, email, password},
which answers the admin's TOTP secret; the admin is active after its first
POST /ops/api/login {email, password, code}. There is no default operator.

More operators are invited by an admin over the operator API:
  POST /ops/api/operators {email, roles: [viewer|support|risk|admin]}
      mails the invitee a one-time token (no link; valid 24 h, single use)
  POST /ops/api/invites/accept {token, password}
      answers the invitee's TOTP secret; active after the first login
  GET  /ops/api/operators lists operators and outstanding invitations.

Run "saifu ops <command> -h" for the flags of a command.`

// runOps is `saifu ops …`: what operators do on the server's database
// itself, before the operator API has anyone to let in.
func runOps(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, opsUsage)
		return errUsage
	}
	switch args[0] {
	case "bootstrap":
		return runOpsBootstrap(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, opsUsage)
		return nil
	default:
		fmt.Fprintf(stderr, "saifu ops: unknown command %q\n\n%s\n", args[0], opsUsage)
		return errUsage
	}
}

func runOpsBootstrap(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ops bootstrap", flag.ContinueOnError)
	var c dbConfig
	c.register(fs, getenv)
	if err := parseFlags(fs, args, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	token, expires, err := ops.IssueBootstrapToken(ctx, db, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bootstrap_token: %s\n", token)
	fmt.Fprintf(stdout, "expires_at:      %s\n", expires.UTC().Format(time.RFC3339))
	fmt.Fprintln(stdout, "Spend it within the hour: POST /ops/api/bootstrap {\"token\", \"email\", \"password\"}. It works once; a new one replaces it.")
	return nil
}
