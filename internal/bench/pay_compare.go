package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/store"
)

// compareRoundsMax bounds the rounds of ComparePayRisk: each round is two
// whole runs (set-up, duration, verify) on two new databases.
const compareRoundsMax = 20

// ComparePayRisk measures what the risk engine costs a payment: in each of
// rounds rounds it runs Pay with c twice, once as shipped (risk on, the
// default rules of a new database) and once with the app built without
// the engine (app.Config.RiskOff), each on a database of its own created
// for the run beside c.App.DSN (SQLite: <dir>/risk-on-<round>/<file>; a
// PostgreSQL URL: the database <name>_risk_on_<round> on the same server,
// created, and left there). Rounds alternate which mode runs first, so a
// machine that slows down or speeds up during the comparison favours
// neither. It prints each run, then the median of each figure over the
// rounds for both modes and the difference, on − off.
func ComparePayRisk(ctx context.Context, c PayConfig, rounds int, stdout, stderr io.Writer) error {
	if err := checkPay(c); err != nil {
		return err
	}
	if rounds < 1 || rounds > compareRoundsMax {
		return fmt.Errorf("%w: need 1 ≤ rounds ≤ %d", app.ErrConfig, compareRoundsMax)
	}
	fmt.Fprintf(stdout, "saifu bench pay --compare-risk: %d round(s) of a run with risk on and one without, each on a new database "+
		"(peak RSS is the process's: after the first run it includes the earlier runs)\n", rounds)
	var on, off []PayResult
	for r := 1; r <= rounds; r++ {
		modes := []bool{false, true} // RiskOff
		if r%2 == 0 {
			slices.Reverse(modes)
		}
		for _, riskOff := range modes {
			name := fmt.Sprintf("risk-on-%d", r)
			if riskOff {
				name = fmt.Sprintf("risk-off-%d", r)
			}
			run := c
			dsn, err := freshDSN(ctx, c.App.DSN, name)
			if err != nil {
				return err
			}
			run.App.DSN, run.App.RiskOff = dsn, riskOff
			fmt.Fprintf(stdout, "\n== round %d/%d, %s: %s\n", r, rounds, name, app.RedactURL(dsn))
			res, err := pay(ctx, run, stdout, stderr)
			if err != nil {
				return fmt.Errorf("bench: %s: %w", name, err)
			}
			if riskOff {
				off = append(off, res)
			} else {
				on = append(on, res)
			}
		}
	}
	printRiskCost(stdout, on, off)
	return nil
}

// printRiskCost writes the medians of both modes' runs and their
// difference.
func printRiskCost(w io.Writer, on, off []PayResult) {
	fmt.Fprintf(w, "\nrisk's cost, median of %d run(s) each (on: as shipped; off: no engine):\n", len(on))
	fmt.Fprintf(w, "%-22s %12s %12s %12s\n", "", "risk on", "risk off", "on − off")
	rate := func(r PayResult) float64 { return r.PerSecond }
	ron, roff := median(on, rate), median(off, rate)
	fmt.Fprintf(w, "%-22s %12.0f %12.0f %+12.0f (%+.1f %%)\n", "payments/s", ron, roff, ron-roff, 100*(ron-roff)/max(roff, 1))
	for _, row := range []struct {
		name string
		get  func(PayResult) time.Duration
	}{
		{"payment p50", func(r PayResult) time.Duration { return r.P50 }},
		{"payment p99", func(r PayResult) time.Duration { return r.P99 }},
		{"charge alone p50", func(r PayResult) time.Duration { return r.ChargeP50 }},
		{"charge alone p99", func(r PayResult) time.Duration { return r.ChargeP99 }},
	} {
		fn := func(r PayResult) float64 { return float64(row.get(r)) }
		a, b := time.Duration(median(on, fn)), time.Duration(median(off, fn))
		if a == 0 && b == 0 {
			continue // no charge alone in the MPM flow
		}
		d := a - b
		sign := "+"
		if d < 0 {
			sign, d = "-", -d
		}
		fmt.Fprintf(w, "%-22s %12s %12s %12s\n", row.name, a.Round(time.Microsecond), b.Round(time.Microsecond), sign+d.Round(time.Microsecond).String())
	}
	dec := func(r PayResult) float64 { return float64(r.Decisions) }
	fmt.Fprintf(w, "%-22s %12.0f %12.0f\n", "payment decisions", median(on, dec), median(off, dec))
	var errs []string
	for _, r := range append(append([]PayResult(nil), on...), off...) {
		if r.Errors != "none" {
			errs = append(errs, r.Errors)
		}
	}
	if len(errs) == 0 {
		fmt.Fprintln(w, "errors: none")
	} else {
		fmt.Fprintf(w, "errors: %s\n", strings.Join(errs, "; "))
	}
}

// median returns the median of f over rs (the mean of the middle two for
// an even count).
func median(rs []PayResult, f func(PayResult) float64) float64 {
	if len(rs) == 0 {
		return 0
	}
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// pgNameRE is what freshDSN accepts as a PostgreSQL database name: it
// goes into CREATE DATABASE unquoted by the driver.
var pgNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// freshDSN creates the database name beside base and returns its DSN:
// the SQLite file of base's name in the directory name next to it, which
// must not exist yet; on PostgreSQL the database <base's>_<name> on the
// same server (CREATE DATABASE, which fails if it exists).
func freshDSN(ctx context.Context, base, name string) (string, error) {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			return "", fmt.Errorf("%w: database URL: %v", app.ErrConfig, err)
		}
		db := strings.TrimPrefix(u.Path, "/") + "_" + strings.ReplaceAll(name, "-", "_")
		if !pgNameRE.MatchString(db) {
			return "", fmt.Errorf("%w: database name %q: want lower-case letters, digits and _ (at most 63)", app.ErrConfig, db)
		}
		admin, err := store.Open(ctx, base)
		if err != nil {
			return "", err
		}
		defer admin.Close()
		if _, err := admin.Exec(ctx, `CREATE DATABASE "`+db+`"`); err != nil {
			return "", fmt.Errorf("bench: create database %s (it must not exist): %w", db, err)
		}
		u.Path = "/" + db
		return u.String(), nil
	}
	path := strings.TrimPrefix(strings.TrimPrefix(base, "sqlite://"), "file:")
	dir := filepath.Join(filepath.Dir(path), name)
	if _, err := os.Stat(dir); err == nil {
		return "", fmt.Errorf("%w: %s exists: the comparison runs on new databases (remove it, or choose another --data-dir)", app.ErrConfig, dir)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("bench: %w", err)
	}
	return filepath.Join(dir, filepath.Base(path)), nil
}
