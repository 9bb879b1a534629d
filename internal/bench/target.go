package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// Bounds of the target mode, with why.
const (
	// targetRetryPauseMillis is a client's pause before it sends a
	// request again with the same Idempotency-Key.
	targetRetryPauseMillis = 100
	// targetRequestTimeoutSeconds bounds one attempt: a node killed
	// mid-request, or a database that went away, must not hold a client
	// longer than this before it retries.
	targetRequestTimeoutSeconds = 10
)

// Kinds of acknowledged operations.
const (
	AckedCharge   = "charge"   // POST /api/v1/merchant/charges
	AckedTransfer = "transfer" // POST /api/v1/transfers (P2P)
)

// targetTransferEvery: every this many iterations a client sends a P2P
// transfer instead of a payment.
const targetTransferEvery = 4

// Acked is one operation the server acknowledged (a charge 201
// succeeded; a transfer 201 succeeded or 202 held), as a line of the
// record file.
type Acked struct {
	Kind     string `json:"kind"` // AckedCharge or AckedTransfer
	Key      string `json:"idempotency_key"`
	Ref      string `json:"ref"` // the charge's order_id, the transfer's message
	Amount   int64  `json:"amount"`
	ID       string `json:"id"` // charge_id or transfer_id
	Status   string `json:"status"`
	Attempts int    `json:"attempts"` // sends with this key
	At       string `json:"at"`       // when the acknowledgement came
	path     string
	token    string
	body     []byte
}

// attempt is one request's outcome on the timeline of a run.
type attempt struct {
	at   time.Time
	fail string // "" for a success
}

// timeline collects the attempts of every client.
type timeline struct {
	mu sync.Mutex
	a  []attempt
}

func (t *timeline) add(fail string) {
	t.mu.Lock()
	t.a = append(t.a, attempt{time.Now(), fail})
	t.mu.Unlock()
}

// payTarget is Pay against a running server (c.Target, typically a load
// balancer over several `saifu serve --demo` nodes on c.App.DSN): the
// set-up goes through an app built on the same database with the nodes'
// secret, the load over HTTP to the target. A client whose request fails
// (transport error, 5xx, 409 idempotency_key_in_use, 429) sends it again
// with the same Idempotency-Key and body until it is answered or
// c.RetryFor has passed, as a real client must. Every acknowledged charge
// is written to c.Record; at the end each is sent once more with its key
// (it must answer the same charge and move no money) and checked against
// the database (present exactly once). Any loss or duplicate is an error.
func payTarget(ctx context.Context, c PayConfig, stdout, stderr io.Writer) error {
	if c.App.SecretKey == "" {
		return fmt.Errorf("%w: --target needs the nodes' server secret (--secret-key or SAIFU_SECRET_KEY)", app.ErrConfig)
	}
	if c.RetryFor <= 0 {
		c.RetryFor = time.Minute
	}
	base := strings.TrimRight(c.Target, "/")
	db, err := app.Open(ctx, c.App.DSN)
	if err != nil {
		return err
	}
	defer db.Close()
	cfg := c.App
	cfg.DB, cfg.Demo, cfg.PublicURL, cfg.Stdout = db, true, base, io.Discard
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	hc := &http.Client{
		Transport: &http.Transport{MaxIdleConns: 2*c.Clients + 16, MaxIdleConnsPerHost: 2*c.Clients + 16, IdleConnTimeout: time.Minute},
		Timeout:   targetRequestTimeoutSeconds * time.Second,
	}
	defer hc.CloseIdleConnections()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	fmt.Fprintf(stdout, "saifu bench pay: target %s, database %s, %d clients, %d users, %s\n", base, db.Dialect, c.Clients, c.Users, c.Duration)
	mer, merchantKey, _, err := a.Merchants.Create(ctx, "Bench Shop "+run, "")
	if err != nil {
		a.Close()
		return fmt.Errorf("bench: create merchant: %w", err)
	}
	if _, err := merchant.StaticPayload(mer); err != nil {
		a.Close()
		return err
	}
	fmt.Fprintf(stderr, "creating, verifying and funding %d users…\n", c.Users)
	tokens, err := benchPayUsers(ctx, a, hc, base, run, c.Users)
	a.Close()
	if err != nil {
		return err
	}

	var (
		done    atomic.Int64
		tl      timeline
		mu      sync.Mutex
		acked   []Acked
		lost    int // requests never answered within RetryFor
		refused = newErrorCounts()
	)
	start := time.Now()
	fmt.Fprintf(stdout, "load started at %s\n", start.UTC().Format(time.RFC3339Nano))
	ack := func(a Acked, ans opAnswer, body []byte) {
		a.ID, a.Status, a.Attempts, a.At, a.body = ans.id(), ans.Status, ans.attempts, time.Now().UTC().Format(time.RFC3339Nano), body
		mu.Lock()
		acked = append(acked, a)
		mu.Unlock()
		done.Add(1)
	}
	unanswered := func() { mu.Lock(); lost++; mu.Unlock() }
	elapsed := runClients(ctx, c.Clients, c.Duration, stderr, "pay", &done, func(ctx context.Context, i int, rng *mrand.Rand) {
		for n := 0; ctx.Err() == nil; n++ {
			from := rng.IntN(len(tokens))
			token := tokens[from]
			amount := 1 + rng.Int64N(benchPayAmountMax)
			ref := fmt.Sprintf("%s-%d-%d", run, i, n)
			if n%targetTransferEvery == targetTransferEvery-1 && len(tokens) > 1 {
				// P2P, always to the next user: one payee per payer.
				to := fmt.Sprintf("bench-%s-%d@example.com", run, (from+1)%len(tokens))
				body, _ := json.Marshal(map[string]any{"to_email": to, "amount": amount, "message": ref})
				key := fmt.Sprintf("%s-t%d-%d", run, i, n)
				var tr opAnswer
				st, e := targetSend(hc, &tl, c.RetryFor, base+"/api/v1/transfers", token, key, body, &tr)
				switch {
				case st == 0:
					unanswered()
					refused.add("transfers: unanswered: " + e)
				case st != http.StatusCreated && st != http.StatusAccepted:
					refused.add("transfers: " + e)
				case tr.Status != wallet.StatusSucceeded && tr.Status != wallet.StatusHeld:
					refused.add("transfers: status " + tr.Status)
				default:
					ack(Acked{Kind: AckedTransfer, Key: key, Ref: ref, Amount: amount, path: "/api/v1/transfers", token: token}, tr, body)
				}
				continue
			}
			var code struct {
				Code string `json:"code"`
			}
			st, e := targetSend(hc, &tl, c.RetryFor, base+"/api/v1/payment-codes", token, fmt.Sprintf("%s-c%d-%d", run, i, n), []byte("{}"), &code)
			if st != http.StatusCreated {
				if st == 0 {
					unanswered()
				}
				refused.add("payment-codes: " + e)
				continue
			}
			body, _ := json.Marshal(map[string]any{"payment_code": code.Code, "amount": amount, "order_id": ref})
			key := fmt.Sprintf("%s-m%d-%d", run, i, n)
			var ch opAnswer
			st, e = targetSend(hc, &tl, c.RetryFor, base+"/api/v1/merchant/charges", merchantKey, key, body, &ch)
			switch {
			case st == 0:
				unanswered()
				refused.add("charges: unanswered: " + e)
			case st != http.StatusCreated:
				refused.add("charges: " + e)
			case ch.Status != wallet.StatusSucceeded:
				refused.add("charges: status " + ch.Status)
			default:
				ack(Acked{Kind: AckedCharge, Key: key, Ref: ref, Amount: amount, path: "/api/v1/merchant/charges", token: merchantKey}, ch, body)
			}
		}
	})
	charges, transfers := 0, 0
	for _, a := range acked {
		if a.Kind == AckedCharge {
			charges++
		} else {
			transfers++
		}
	}
	fmt.Fprintf(stdout, "saifu pay: %d payments and %d P2P transfers acknowledged in %.1fs = %.0f operations/s (merchant %s)\n", charges, transfers, elapsed.Seconds(), float64(len(acked))/elapsed.Seconds(), mer.ID)
	fmt.Fprintf(stdout, "refused or unanswered requests (not acknowledged): %s; unanswered after %s of retries: %d\n", refused, c.RetryFor, lost)
	tl.report(stdout, start)
	if c.Record != "" {
		if err := writeRecord(c.Record, acked); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "record: %d acknowledged operations in %s\n", len(acked), c.Record)
	}
	return checkAcked(ctx, db, hc, base, run, mer.ID, acked, stdout)
}

// opAnswer is the part of a charge's or a transfer's answer the bench
// reads.
type opAnswer struct {
	ChargeID   string `json:"charge_id"`
	TransferID string `json:"transfer_id"`
	Status     string `json:"status"`
	Amount     int64  `json:"amount"`
	attempts   int
}

func (a opAnswer) id() string { return a.ChargeID + a.TransferID }

// targetSend POSTs body with the Idempotency-Key key until it is answered
// with a status that is not worth retrying or retryFor has passed; every
// attempt goes on tl. It returns the final status (0: never answered) and
// what the last failure was; a 2xx answer is decoded into out (and, for a
// *opAnswer, the attempts are counted).
func targetSend(hc *http.Client, tl *timeline, retryFor time.Duration, url, token, key string, body []byte, out any) (int, string) {
	deadline := time.Now().Add(retryFor)
	var last string
	for n := 1; ; n++ {
		st, e, raw := targetPost(hc, url, token, key, body)
		if st >= 200 && st < 300 {
			tl.add("")
			if err := json.Unmarshal(raw, out); err != nil {
				return 0, "bad response body"
			}
			if ch, ok := out.(*opAnswer); ok {
				ch.attempts = n
			}
			return st, ""
		}
		last = e
		tl.add(e)
		if !retryable(st, e) {
			return st, e
		}
		if time.Now().After(deadline) {
			return 0, last
		}
		time.Sleep(targetRetryPauseMillis * time.Millisecond)
	}
}

// retryable: a transport failure, a 5xx, a key still held by a request in
// progress (or by a node that died holding it), a rate limit.
func retryable(status int, e string) bool {
	return status == 0 || status >= 500 || status == http.StatusTooManyRequests ||
		(status == http.StatusConflict && strings.HasSuffix(e, "idempotency_key_in_use"))
}

// targetPost sends one attempt: its status (0 when none came), a failure
// description ("" on 2xx), the body.
func targetPost(hc *http.Client, url, token, key string, body []byte) (int, string, []byte) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		return 0, "request: " + err.Error(), nil
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	res, err := hc.Do(req)
	if err != nil {
		return 0, "transport: " + transportKind(err), nil
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, "transport: " + transportKind(err), nil
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return res.StatusCode, "", raw
	}
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	json.Unmarshal(raw, &e)
	if e.Error.Code == "" {
		e.Error.Code = strings.ToLower(strings.ReplaceAll(http.StatusText(res.StatusCode), " ", "_"))
	}
	return res.StatusCode, fmt.Sprintf("%d %s", res.StatusCode, e.Error.Code), raw
}

// transportKind names a transport error without its addresses.
func transportKind(err error) string {
	s := err.Error()
	for _, k := range []string{"connection refused", "connection reset", "EOF", "timeout", "deadline exceeded", "broken pipe"} {
		if strings.Contains(s, k) {
			return k
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return s
}

func writeRecord(path string, acked []Acked) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, a := range acked {
		if err := enc.Encode(a); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}
