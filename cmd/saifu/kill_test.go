package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// The whole server's crash test (issue 12): `saifu serve --demo` in a
// child process under a load of charges, refunds, bank top-ups, P2P
// transfers and withdrawals over HTTP, each with an Idempotency-Key, is
// killed with SIGKILL at random moments and started again on the same
// database, again and again. The clients retry every request they have
// no definitive answer to with the same key and body, against whichever
// server is up. Afterwards every acknowledged request is there exactly
// once: read back with its acknowledged status, replayed with its key
// to the same object, and the users' balances are exactly what the
// acknowledged answers add up to; what was in flight the reconciler
// finished or undid; `saifu verify` passes.

// killsDefault is the kills per database in CI; SAIFU_KILLS asks for
// more (docs/benchmarks.md records a run of 100).
const killsDefault = 20

// killAnswerFor bounds how long a client retries one request.
const killAnswerFor = 90 * time.Second

// killedOp is one request of the load and its acknowledged answer.
type killedOp struct {
	kind, key, path, token string
	body                   any
	idField, getPath       string
	amount                 int64
	// Filled when acknowledged.
	status, id string
	code       int
}

// killClient is the load's HTTP client: it follows the server that is
// up (base changes with every restart).
type killClient struct {
	base atomic.Pointer[string]
	hc   *http.Client
}

func (k *killClient) do(method, path, token, key string, body any) crashResp {
	c := crashClient{base: *k.base.Load(), hc: k.hc}
	return c.do(method, path, token, key, body)
}

// definitive reports whether r is the request's answer: anything but no
// answer, a server error, a key still in use by a request the crash cut
// short (409 idempotency_key_in_use), or a throttle.
func definitive(r crashResp) bool {
	if r.err != nil || r.status >= 500 || r.status == http.StatusTooManyRequests {
		return false
	}
	if r.status == http.StatusConflict {
		if e, _ := r.body["error"].(map[string]any); e != nil && e["code"] == "idempotency_key_in_use" {
			return false
		}
	}
	return true
}

// send retries op until it is answered for good and records the answer.
func (k *killClient) send(t *testing.T, op *killedOp) bool {
	deadline := time.Now().Add(killAnswerFor)
	for time.Now().Before(deadline) {
		r := k.do("POST", op.path, op.token, op.key, op.body)
		if definitive(r) {
			op.code, op.status, op.id = r.status, r.str("status"), r.str(op.idField)
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("%s %s: no answer within %s", op.kind, op.key, killAnswerFor)
	return false
}

func TestServeSurvivesSIGKILLUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	kills := killsDefault
	if s := os.Getenv("SAIFU_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("SAIFU_KILLS=%q: want a positive number", s)
		}
		kills = n
	}
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			args, dsn := crashArgs(t, d)
			runKills(t, args, dsn, kills)
		})
	}
}

func runKills(t *testing.T, args []string, dsn string, kills int) {
	c := &crashClient{t: t, hc: &http.Client{Timeout: 30 * time.Second}}
	w := newCrashWorld(t, c, args, "kill", 100000)
	setup, merchantKey, tokA, tokB, link := w.setup, w.merchantKey, w.tokA, w.tokB, w.link
	moneyA0, liteA0 := c.balance(tokA)
	moneyB0, liteB0 := c.balance(tokB)

	k := &killClient{hc: &http.Client{Timeout: 10 * time.Second}}
	base := setup.base
	k.base.Store(&base)
	var (
		mu   sync.Mutex
		done []*killedOp
	)
	record := func(op *killedOp) {
		mu.Lock()
		defer mu.Unlock()
		done = append(done, op)
	}
	ctx, stopLoad := context.WithCancel(context.Background())
	var load sync.WaitGroup
	// A: top-ups, charges of its payment codes and refunds of them,
	// transfers to B, withdrawals. B: transfers back to A.
	load.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			key := fmt.Sprintf("kill-a-%d", i)
			switch i % 5 {
			case 0:
				op := &killedOp{kind: "topup", key: key, path: "/api/v1/topups", token: tokA, idField: "topup_id", amount: 500,
					body: map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 500}}
				op.getPath = "/api/v1/topups/"
				if k.send(t, op) {
					record(op)
				}
			case 1:
				code := &killedOp{kind: "payment_code", key: key + "-code", path: "/api/v1/payment-codes", token: tokA, idField: "code"}
				if !k.send(t, code) || code.id == "" {
					continue
				}
				op := &killedOp{kind: "charge", key: key, path: "/api/v1/merchant/charges", token: merchantKey, idField: "charge_id", amount: 300,
					body: map[string]any{"payment_code": code.id, "amount": 300}, getPath: "/api/v1/merchant/charges/"}
				if !k.send(t, op) {
					continue
				}
				record(op)
				if op.status == "succeeded" {
					ref := &killedOp{kind: "refund", key: key + "-refund", path: "/api/v1/merchant/charges/" + op.id + "/refunds", token: merchantKey,
						idField: "refund_id", amount: 100, body: map[string]any{"amount": 100}}
					if k.send(t, ref) {
						record(ref)
					}
				}
			case 2, 4:
				op := &killedOp{kind: "transfer_ab", key: key, path: "/api/v1/transfers", token: tokA, idField: "transfer_id", amount: 200,
					body: map[string]any{"to_email": w.emailB, "amount": 200}, getPath: "/api/v1/transfers/"}
				if k.send(t, op) {
					record(op)
				}
			case 3:
				op := &killedOp{kind: "withdrawal", key: key, path: "/api/v1/withdrawals", token: tokA, idField: "withdrawal_id", amount: 100,
					body: map[string]any{"bank_link_id": link, "amount": 100}, getPath: "/api/v1/withdrawals/"}
				if k.send(t, op) {
					record(op)
				}
			}
		}
	})
	load.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			op := &killedOp{kind: "transfer_ba", key: fmt.Sprintf("kill-b-%d", i), path: "/api/v1/transfers", token: tokB, idField: "transfer_id", amount: 150,
				body: map[string]any{"to_email": w.emailA, "amount": 150}, getPath: "/api/v1/transfers/"}
			if k.send(t, op) {
				record(op)
			}
		}
	})

	// Kill the server at random moments, each time once it has answered
	// a request or two (so that the load goes on however slow the
	// machine), and start it again on the same database.
	acked := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(done)
	}
	child := setup
	for range kills {
		before := acked()
		for wait := time.Now().Add(killAnswerFor); acked() < before+2 && time.Now().Before(wait); {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
		child.stop()
		child = startCrashChild(t, args, "")
		base := child.base
		k.base.Store(&base)
		if t.Failed() {
			break
		}
	}
	time.Sleep(300 * time.Millisecond)
	stopLoad()
	load.Wait()
	c.base = *k.base.Load()

	// Every acknowledged request: read back as acknowledged, and replayed
	// with its key to the same object.
	var moneyA, moneyB int64 // what the acknowledged answers add up to
	counts := map[string]int{}
	for _, op := range done {
		counts[op.kind+" "+op.status]++
		if op.code >= 300 {
			continue // refused for good (a limit, insufficient money): nothing moved
		}
		if op.id == "" {
			t.Errorf("%s %s: acknowledged %d without an id", op.kind, op.key, op.code)
			continue
		}
		if op.getPath != "" {
			got := c.must("GET", op.getPath+op.id, op.token, "", nil, 200)
			if got.str("status") != op.status && !(op.kind == "charge" && got.str("status") == "partially_refunded") {
				t.Errorf("%s %s: acknowledged %q, reads %q", op.kind, op.id, op.status, got.str("status"))
			}
		}
		if again := c.do("POST", op.path, op.token, op.key, op.body); again.str(op.idField) != op.id {
			t.Errorf("%s %s replayed: %d %s, want the same %s", op.kind, op.key, again.status, again.raw, op.id)
		}
		moved := op.status == "succeeded" || (op.kind == "withdrawal" && op.status == "held")
		if !moved {
			continue
		}
		switch op.kind {
		case "topup":
			moneyA += op.amount
		case "charge", "withdrawal":
			moneyA -= op.amount
		case "refund":
			moneyA += op.amount
		case "transfer_ab":
			moneyA -= op.amount
			moneyB += op.amount
		case "transfer_ba":
			moneyA += op.amount
			moneyB -= op.amount
		}
	}
	t.Logf("%d kills, %d acknowledged requests: %v", kills, len(done), counts)
	if len(done) < 2*kills {
		t.Errorf("only %d requests acknowledged over %d kills: the load hardly ran", len(done), kills)
	}
	a, al := c.balance(tokA)
	b, bl := c.balance(tokB)
	if got, want := a+al-moneyA0-liteA0, moneyA; got != want {
		t.Errorf("A's money moved by %d; the acknowledged answers add up to %d", got, want)
	}
	if got, want := b+bl-moneyB0-liteB0, moneyB; got != want {
		t.Errorf("B's money moved by %d; the acknowledged answers add up to %d", got, want)
	}
	child.stop()
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"verify", "--db", dsn}, func(string) string { return "" }, &out, &errb); err != nil {
		t.Errorf("saifu verify: %v\n%s%s", err, out.String(), errb.String())
	}
}
