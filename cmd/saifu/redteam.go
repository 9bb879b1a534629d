package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/redteam"
)

// runRedteam is `saifu redteam`: the flags, over internal/redteam.
func runRedteam(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("redteam", flag.ContinueOnError)
	var (
		cfg           redteam.Config
		only, junit   string
		asJSON, ownIt bool
		listScenarios bool
	)
	fs.StringVar(&cfg.BaseURL, "target", "", "base URL of the saifu to attack, e.g. http://127.0.0.1:8080 (a `saifu serve --demo`)")
	fs.StringVar(&only, "only", "", `run only the scenarios matching this glob ("7pay/*") or substring`)
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON instead of one line per scenario")
	fs.StringVar(&junit, "junit", "", "also write the report as JUnit XML to this file")
	fs.BoolVar(&ownIt, "i-own-this-target", false, "attack a target that exposes no demo sandbox (only a deployment you own)")
	fs.BoolVar(&listScenarios, "list", false, "list the scenarios and exit")
	fs.Func("node", "base URL of another node of the target (behind the same load balancer, on the same database); once per node: the scenarios that check every node need them", func(s string) error {
		if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
			return errors.New("want an http:// or https:// URL")
		}
		cfg.Nodes = append(cfg.Nodes, s)
		return nil
	})
	fs.Func("ops-session-idle", "the target's --ops-session-idle (at most 1m): netlogon/idle-operator-session-reuse waits it out; without it that scenario is skipped", func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > time.Minute {
			return errors.New("want a duration up to 1m, as the target's --ops-session-idle")
		}
		cfg.OpsIdle = d
		return nil
	})
	envFlag(fs, getenv, &cfg.MerchantKey, "merchant-key", "SAIFU_MERCHANT_KEY", "", "the demo merchant's secret key (serve --demo prints it at its first start); without it the merchant-side scenarios are skipped")
	envFlag(fs, getenv, &cfg.OpsBootstrapToken, "ops-bootstrap-token", "SAIFU_OPS_BOOTSTRAP_TOKEN", "", "a token of `saifu ops bootstrap` on the target's database (single use): the run makes its own admin and viewer operators with it; without it the operator scenarios are skipped")
	if err := parseFlags(fs, args, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	scenarios, err := redteam.Select(only)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if listScenarios {
		for _, s := range scenarios {
			fmt.Fprintf(stdout, "%-52s %s\n", s.Name, s.Attack)
		}
		return nil
	}
	if cfg.BaseURL == "" {
		return fmt.Errorf("%w: saifu redteam needs --target URL", errUsage)
	}
	if err := redteam.Probe(ctx, cfg); err != nil {
		if !ownIt || !errors.Is(err, redteam.ErrNoSandbox) {
			return err
		}
		fmt.Fprintln(stderr, "saifu redteam: no sandbox at the target; going on because of --i-own-this-target")
	}
	each := func(r redteam.Result) { r.WriteText(stdout) }
	if asJSON {
		each = nil
	}
	rep, err := redteam.Run(ctx, cfg, scenarios, each)
	if err != nil {
		return err
	}
	if asJSON {
		if err := rep.WriteJSON(stdout); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stdout, rep.Summary())
	}
	if junit != "" {
		f, err := os.Create(junit)
		if err != nil {
			return err
		}
		if err := rep.WriteJUnit(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if !rep.OK() {
		return &exitError{code: 1, err: fmt.Errorf("redteam: %s", rep.Summary())}
	}
	return nil
}
