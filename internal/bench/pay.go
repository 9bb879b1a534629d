package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// Bounds of `saifu bench pay`.
const (
	benchPayClientsMax = 10000
	benchPayUsersMax   = 100000
	// benchPaySetupWorkers creates users in parallel; the sign-ups wait on
	// the argon2id hashing pool anyway.
	benchPaySetupWorkers = 8
	// benchPayLite and benchPayMoney fund each user: payments of 1–100 JPY
	// draw money lite first, then money.
	benchPayLite  = 200_000
	benchPayMoney = 1_000_000
	// benchPayAmountMax: each charge is 1..benchPayAmountMax JPY.
	benchPayAmountMax = 100
	// benchPayMailWaitSeconds bounds the wait for a verification mail.
	benchPayMailWaitSeconds = 30
	// benchPayRequestTimeoutSeconds bounds one HTTP request.
	benchPayRequestTimeoutSeconds = 60
)

// The payment flows Pay drives.
const (
	// FlowCPM: the user shows a payment code, the merchant charges it
	// (POST /api/v1/payment-codes, then POST /api/v1/merchant/charges).
	FlowCPM = "cpm"
	// FlowMPM: the user scans the merchant's static QR code and pays it
	// (POST /api/v1/payments).
	FlowMPM = "mpm"
)

// PayConfig configures Pay. App.RiskOff runs it without the risk engine.
type PayConfig struct {
	// App is the configuration of `saifu serve` (flags, environment and
	// defaults, with DSN); Pay serves it in demo mode on an ephemeral
	// port of 127.0.0.1, with a secret of the run when it has none.
	App        app.Config
	Clients    int
	Users      int
	Duration   time.Duration
	Flow       string // FlowCPM (empty) or FlowMPM
	CPUProfile string // a CPU profile of the measured part, when set
	// Target, when set, is the base URL of running servers to load
	// instead of a server of the bench's own (payTarget); Record is the
	// file its acknowledged payments are written to, RetryFor how long a
	// client retries one request with the same Idempotency-Key.
	Target   string
	Record   string
	RetryFor time.Duration
}

// PayResult is what one run of Pay measured.
type PayResult struct {
	Payments  int // succeeded
	PerSecond float64
	// P50 and P99 time a whole payment: code and charge (CPM), or the
	// user's one request (MPM); ChargeP50 and ChargeP99 the charge alone
	// (CPM only).
	P50, P99             time.Duration
	ChargeP50, ChargeP99 time.Duration
	// Decisions counts the payment decisions the risk engine recorded.
	Decisions int64
	Errors    string // "none", or the failures by kind
}

// Pay measures end-to-end payments per second over real HTTP against
// the server `saifu serve --demo` builds (app.New, same routes, a real
// listener on 127.0.0.1): each client loops for the duration over "a user
// POSTs /api/v1/payment-codes, the merchant POSTs
// /api/v1/merchant/charges with that code", both with a fresh
// Idempotency-Key, the user's real session token and the merchant's real
// secret key. Users are signed up, verified and funded at setup (not
// measured): sign-up and verification through the identity service (the
// per-address sign-up limit would refuse hundreds of sign-ups from one
// address over HTTP), KYC over HTTP, funding through the ledger from the
// system card-acquirer and bank accounts, as top-ups do. At the end the
// server stops, the ledger is flushed and verified. With c.Flow FlowMPM
// each payment is instead the user's POST /api/v1/payments of the
// merchant's static QR code.
func Pay(ctx context.Context, c PayConfig, stdout, stderr io.Writer) error {
	_, err := pay(ctx, c, stdout, stderr)
	return err
}

// checkPay refuses a configuration Pay cannot run.
func checkPay(c PayConfig) error {
	if c.Clients < 1 || c.Clients > benchPayClientsMax || c.Users < 1 || c.Users > benchPayUsersMax || c.Duration <= 0 {
		return fmt.Errorf("%w: need 1 ≤ clients ≤ %d, 1 ≤ users ≤ %d, duration > 0", app.ErrConfig, benchPayClientsMax, benchPayUsersMax)
	}
	if c.Flow != "" && c.Flow != FlowCPM && c.Flow != FlowMPM {
		return fmt.Errorf("%w: flow %q: want %s or %s", app.ErrConfig, c.Flow, FlowCPM, FlowMPM)
	}
	return nil
}

func pay(ctx context.Context, c PayConfig, stdout, stderr io.Writer) (PayResult, error) {
	if err := checkPay(c); err != nil {
		return PayResult{}, err
	}
	if c.Flow == "" {
		c.Flow = FlowCPM
	}
	if c.Target != "" {
		if c.Flow != FlowCPM || c.CPUProfile != "" {
			return PayResult{}, fmt.Errorf("%w: --target runs the cpm flow without a profile", app.ErrConfig)
		}
		return PayResult{}, payTarget(ctx, c, stdout, stderr)
	}
	// The bench opens the database itself: it verifies the ledger after
	// the app closed.
	db, err := app.Open(ctx, c.App.DSN)
	if err != nil {
		return PayResult{}, err
	}
	defer db.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return PayResult{}, err
	}
	defer ln.Close()
	cfg := c.App
	cfg.DB, cfg.Demo, cfg.PublicURL, cfg.Stdout = db, true, app.PublicURL(ln.Addr().String()), io.Discard
	if cfg.SecretKey == "" {
		cfg.SecretKey = randomSecret()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return PayResult{}, err
	}
	defer a.Close()
	srv := a.Server()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	hc := &http.Client{
		Transport: &http.Transport{
			MaxIdleConns:        2*c.Clients + 16,
			MaxIdleConnsPerHost: 2*c.Clients + 16,
			IdleConnTimeout:     time.Minute,
		},
		Timeout: benchPayRequestTimeoutSeconds * time.Second,
	}
	defer hc.CloseIdleConnections()

	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	fmt.Fprintf(stdout, "saifu bench pay: %s, %d clients, %d users, %s, server %s\n", db.Dialect, c.Clients, c.Users, c.Duration, base)
	riskState := "on (the database's live rules; a new one starts with the defaults)"
	if cfg.RiskOff {
		riskState = "off (no engine: nothing is asked before money moves)"
	}
	fmt.Fprintf(stdout, "flow: %s; risk: %s\n", c.Flow, riskState)
	mer, merchantKey, _, err := a.Merchants.Create(ctx, "Bench Shop "+run, "")
	if err != nil {
		return PayResult{}, fmt.Errorf("bench: create merchant: %w", err)
	}
	qr, err := merchant.StaticPayload(mer)
	if err != nil {
		return PayResult{}, fmt.Errorf("bench: merchant QR: %w", err)
	}
	decisionsBefore, err := paymentDecisions(ctx, db)
	if err != nil {
		return PayResult{}, err
	}
	fmt.Fprintf(stderr, "creating, verifying and funding %d users…\n", c.Users)
	setupStart := time.Now()
	tokens, err := benchPayUsers(ctx, a, hc, base, run, c.Users)
	if err != nil {
		return PayResult{}, err
	}
	fmt.Fprintf(stderr, "setup took %s\n", time.Since(setupStart).Round(time.Millisecond))

	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return PayResult{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return PayResult{}, err
		}
		defer pprof.StopCPUProfile()
	}

	var done atomic.Int64
	errs := newErrorCounts()
	pairLat := make(latencies, c.Clients)
	chargeLat := make(latencies, c.Clients)
	elapsed := runClients(ctx, c.Clients, c.Duration, stderr, "pay", &done, func(ctx context.Context, i int, rng *mrand.Rand) {
		pairs := make([]time.Duration, 0, 4096)
		charges := make([]time.Duration, 0, 4096)
		defer func() { pairLat[i], chargeLat[i] = pairs, charges }()
		for n := 0; ctx.Err() == nil; n++ {
			token := tokens[rng.IntN(len(tokens))]
			t0 := time.Now()
			if c.Flow == FlowMPM {
				body, _ := json.Marshal(map[string]any{"merchant_qr": qr, "amount": 1 + rng.Int64N(benchPayAmountMax)})
				var p struct {
					Status string `json:"status"`
				}
				e := benchPost(hc, base+"/api/v1/payments", token, fmt.Sprintf("%s-p%d-%d", run, i, n), body, http.StatusCreated, &p)
				d := time.Since(t0)
				switch {
				case e != "":
					errs.add("payments: " + e)
				case p.Status != wallet.StatusSucceeded:
					errs.add("payments: status " + p.Status)
				default:
					pairs = append(pairs, d)
					done.Add(1)
				}
				continue
			}
			var code struct {
				Code string `json:"code"`
			}
			if e := benchPost(hc, base+"/api/v1/payment-codes", token, fmt.Sprintf("%s-c%d-%d", run, i, n), []byte("{}"), http.StatusCreated, &code); e != "" {
				errs.add("payment-codes: " + e)
				continue
			}
			body, _ := json.Marshal(map[string]any{"payment_code": code.Code, "amount": 1 + rng.Int64N(benchPayAmountMax), "order_id": fmt.Sprintf("%s-%d-%d", run, i, n)})
			var charge struct {
				Status string `json:"status"`
			}
			t1 := time.Now()
			e := benchPost(hc, base+"/api/v1/merchant/charges", merchantKey, fmt.Sprintf("%s-m%d-%d", run, i, n), body, http.StatusCreated, &charge)
			t2 := time.Now()
			charges = append(charges, t2.Sub(t1))
			switch {
			case e != "":
				errs.add("charges: " + e)
			case charge.Status != wallet.StatusSucceeded:
				errs.add("charges: status " + charge.Status)
			default:
				pairs = append(pairs, t2.Sub(t0))
				done.Add(1)
			}
		}
	})
	if c.CPUProfile != "" {
		pprof.StopCPUProfile()
	}

	var res PayResult
	res.Payments, res.P50, res.P99, _ = pairLat.summary()
	cn, cp50, cp99, _ := chargeLat.summary()
	res.PerSecond, res.ChargeP50, res.ChargeP99, res.Errors = float64(res.Payments)/elapsed.Seconds(), cp50, cp99, errs.String()
	if c.Flow == FlowMPM {
		fmt.Fprintf(stdout, "saifu pay: %d payments in %.1fs = %.0f payments/s (merchant %s)\n",
			res.Payments, elapsed.Seconds(), res.PerSecond, mer.ID)
		printLatency(stdout, "payment (QR scanned):   ", pairLat)
	} else {
		fmt.Fprintf(stdout, "saifu pay: %d payments in %.1fs = %.0f payments/s (charges %d, merchant %s)\n",
			res.Payments, elapsed.Seconds(), res.PerSecond, cn, mer.ID)
		printLatency(stdout, "payment (code + charge):", pairLat)
		printLatency(stdout, "charge alone:           ", chargeLat)
	}
	fmt.Fprintf(stdout, "errors: %s\n", res.Errors)
	fmt.Fprintf(stdout, "peak memory (RSS): %s\n", mib(peakRSS()))
	decisionsAfter, err := paymentDecisions(ctx, db)
	if err != nil {
		return PayResult{}, err
	}
	res.Decisions = decisionsAfter - decisionsBefore
	fmt.Fprintf(stdout, "risk decisions on payments: %d\n", res.Decisions)

	// Stop the server, then the services (the ledger flushes), then verify.
	sctx, scancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		return PayResult{}, fmt.Errorf("bench: shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return PayResult{}, fmt.Errorf("bench: serve: %w", err)
	}
	a.Close()
	rep, err := ledger.Verify(ctx, db)
	if err != nil {
		return PayResult{}, err
	}
	if !rep.OK() {
		rep.Print(stdout)
		return PayResult{}, errors.New("bench: ledger verification failed")
	}
	fmt.Fprintf(stdout, "verify: OK (%d journal entries)\n", rep.Transfers)
	return res, nil
}

// paymentDecisions counts the payment decisions the risk engine recorded
// in db (its table exists with the risk engine off too: the migrations
// are the same).
func paymentDecisions(ctx context.Context, db *store.DB) (int64, error) {
	var n int64
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM risk_decisions WHERE kind = ?`, risk.KindPayment).Scan(&n); err != nil {
		return 0, fmt.Errorf("bench: count risk decisions: %w", err)
	}
	return n, nil
}

// benchPayUsers signs up, verifies, passes KYC for and funds n users, and
// returns their session tokens.
func benchPayUsers(ctx context.Context, a *app.App, hc *http.Client, base, run string, n int) ([]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	acq, err := a.Wallet.SystemAccount(ctx, wallet.SystemCardAcquirer)
	if err != nil {
		return nil, err
	}
	bank, err := a.Wallet.SystemAccount(ctx, wallet.SystemBank("0001"))
	if err != nil {
		return nil, err
	}
	tokens := make([]string, n)
	jobs := make(chan int)
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(n, benchPaySetupWorkers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				tok, err := benchPayUser(ctx, a, hc, base, run, i, acq, bank)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("bench: user %d: %w", i, err)
					}
					mu.Unlock()
					cancel()
					continue
				}
				tokens[i] = tok
			}
		}()
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return tokens, ctx.Err()
}

// benchSignupTriesMax bounds the sign-ups of one bench user refused by a
// saturated hashing pool.
const benchSignupTriesMax = 20

func benchPayUser(ctx context.Context, a *app.App, hc *http.Client, base, run string, i int, acq, bank ledger.Account) (string, error) {
	email := fmt.Sprintf("bench-%s-%d@example.com", run, i)
	// A distinct documentation-range-like private address per user, so
	// that the per-address sign-up limit does not apply across users.
	cl := identity.Client{IP: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), UserAgent: "saifu-bench", Lang: "en"}
	// The set-up signs up users in parallel: a saturated hashing pool
	// answers rate_limited, and the user is signed up again, at most
	// benchSignupTriesMax times.
	for try := 1; ; try++ {
		err := a.Identity.Signup(ctx, email, fmt.Sprintf("bench passphrase %s number %d", run, i), cl)
		if err == nil {
			break
		}
		if apperr.CodeOf(err) != apperr.RateLimited || try == benchSignupTriesMax {
			return "", fmt.Errorf("signup: %w", err)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(time.Duration(try) * 50 * time.Millisecond):
		}
	}
	var code string
	for deadline := time.Now().Add(benchPayMailWaitSeconds * time.Second); code == ""; {
		msgs, err := a.Mailbox.List(ctx, email)
		if err != nil {
			return "", err
		}
		if len(msgs) > 0 {
			code = benchCode.FindString(msgs[0].Subject)
		}
		if code != "" {
			break
		}
		if time.Now().After(deadline) {
			return "", errors.New("no verification mail")
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	u, token, _, err := a.Identity.VerifySignup(ctx, email, code, cl)
	if err != nil {
		return "", fmt.Errorf("verify signup: %w", err)
	}
	kyc, _ := json.Marshal(map[string]string{"full_name": "YAMADA TARO", "birth_date": "1990-04-01", "document_token": "sandbox-approve"})
	var res struct {
		KYCStatus string `json:"kyc_status"`
	}
	if e := benchPost(hc, base+"/api/v1/kyc", token, "", kyc, http.StatusOK, &res); e != "" || res.KYCStatus != identity.KYCVerified {
		return "", fmt.Errorf("kyc: %s %q", e, res.KYCStatus)
	}
	money, lite, err := a.Wallet.Accounts(ctx, u.ID)
	if err != nil {
		return "", err
	}
	_, err = a.Ledger.Commit(ctx, ledger.Request{Scope: "bench", Key: "fund:" + u.ID, Transfers: []ledger.Transfer{
		{Kind: "topup", Debit: acq.ID, Credit: lite.ID, Amount: benchPayLite, Currency: "JPY"},
		{Kind: "topup", Debit: bank.ID, Credit: money.ID, Amount: benchPayMoney, Currency: "JPY"},
	}})
	if err != nil {
		return "", fmt.Errorf("fund: %w", err)
	}
	return token, nil
}
