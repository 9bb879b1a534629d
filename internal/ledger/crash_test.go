package ledger_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestCrashLosesNothing runs a child process that commits transfers under
// load and logs each request before it sends it ("S") and after it was
// acknowledged ("A"); the parent kills it with SIGKILL at random moments and
// restarts it (the child first retries what it sent but never saw
// acknowledged, with the same key). At the end every acknowledged transfer
// must be in the journal exactly once with its amount, nothing may be there
// that was never sent, and Verify must pass.
//
// SAIFU_CRASH_ROUNDS sets the number of kills (default 20).
func TestCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	rounds := 20
	if v, err := strconv.Atoi(os.Getenv("SAIFU_CRASH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			dir := t.TempDir()
			dsn := filepath.Join(dir, "crash.db")
			if d == store.Postgres {
				dsn = storetest.PostgresURL(t)
			}
			logPath := filepath.Join(dir, "requests.log")
			for round := 0; round < rounds; round++ {
				runCrashChild(t, dsn, logPath, round)
			}
			checkCrashLog(t, dsn, logPath)
		})
	}
}

func runCrashChild(t *testing.T, dsn, logPath string, round int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), "SAIFU_CRASH_CHILD=1", "SAIFU_CRASH_DSN="+dsn, "SAIFU_CRASH_LOG="+logPath, fmt.Sprintf("SAIFU_CRASH_ROUND=%d", round))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			if !sent && strings.Contains(sc.Text(), "crash-child-ready") {
				ready <- true
				sent = true
			}
		}
		if !sent {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Wait()
			t.Fatalf("round %d: child exited before it was ready: %s", round, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("round %d: child not ready after 60s: %s", round, stderr.String())
	}
	time.Sleep(time.Duration(50+rand.IntN(400)) * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("round %d: kill: %v", round, err)
	}
	cmd.Wait()
}

type crashReq struct {
	from, to, amount int64
	acked            bool
	transferID       int64
}

func readCrashLog(path string) (map[string]*crashReq, []string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return map[string]*crashReq{}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	reqs := map[string]*crashReq{}
	var order []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// A line cut short by the kill is ignored: its request was either
		// never sent ("S") or its acknowledgement is not counted ("A").
		switch {
		case len(fields) == 5 && fields[0] == "S" && strings.HasSuffix(sc.Text(), " ."):
			from, _ := strconv.ParseInt(fields[2], 10, 64)
			to, _ := strconv.ParseInt(fields[3], 10, 64)
			// amount is encoded in the key: last dash-separated part
			parts := strings.Split(fields[1], "-")
			amount, _ := strconv.ParseInt(parts[len(parts)-1], 10, 64)
			if _, dup := reqs[fields[1]]; !dup {
				order = append(order, fields[1])
			}
			reqs[fields[1]] = &crashReq{from: from, to: to, amount: amount}
		case len(fields) == 4 && fields[0] == "A" && fields[3] == ".":
			id, _ := strconv.ParseInt(fields[2], 10, 64)
			if r := reqs[fields[1]]; r != nil {
				r.acked, r.transferID = true, id
			}
		}
	}
	return reqs, order, sc.Err()
}

func checkCrashLog(t *testing.T, dsn, logPath string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reqs, _, err := readCrashLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	acked := 0
	for _, r := range reqs {
		if r.acked {
			acked++
		}
	}
	if acked < 20 {
		t.Fatalf("only %d acknowledged transfers across all rounds; the test did not exercise the ledger", acked)
	}
	rows, err := db.Query(ctx, `SELECT r.idem_key, r.status, t.id, t.debit_account_id, t.credit_account_id, t.amount
		FROM ledger_requests r LEFT JOIN ledger_transfers t ON t.request_id = r.id WHERE r.scope = 'crash'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	found := map[string]int{}
	for rows.Next() {
		var key, status string
		var id, from, to, amount *int64
		if err := rows.Scan(&key, &status, &id, &from, &to, &amount); err != nil {
			t.Fatal(err)
		}
		found[key]++
		r := reqs[key]
		if r == nil {
			if strings.HasPrefix(key, "fund-") {
				continue
			}
			t.Errorf("journal holds request %q that the child never logged as sent", key)
			continue
		}
		if status != "committed" || id == nil {
			t.Errorf("request %q: status %s", key, status)
			continue
		}
		if *from != r.from || *to != r.to || *amount != r.amount {
			t.Errorf("request %q: journal has %d→%d %d, child sent %d→%d %d", key, *from, *to, *amount, r.from, r.to, r.amount)
		}
		if r.acked && *id != r.transferID {
			t.Errorf("request %q: acknowledged as transfer %d, journal has %d", key, r.transferID, *id)
		}
	}
	for key, r := range reqs {
		if r.acked && found[key] != 1 {
			t.Errorf("acknowledged request %q appears %d times in the journal", key, found[key])
		}
	}
	rep, err := ledger.Verify(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("verify after crashes: %v", rep.Problems)
	}
	t.Logf("%d requests sent, %d acknowledged, %d in the journal, verify OK", len(reqs), acked, len(found))
}

// TestCrashChild is the child process of TestCrashLosesNothing.
func TestCrashChild(t *testing.T) {
	if os.Getenv("SAIFU_CRASH_CHILD") != "1" {
		t.Skip("child process of TestCrashLosesNothing")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv("SAIFU_CRASH_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, ledger.Migrations); err != nil {
		t.Fatal(err)
	}
	l := ledger.Open(db, ledger.Options{})
	sys, err := l.CreateAccount(ctx, "system:crash", ledger.System, "JPY")
	if err != nil {
		t.Fatal(err)
	}
	const users = 8
	ids := make([]int64, users)
	for i := range ids {
		a, err := l.CreateAccount(ctx, fmt.Sprintf("user:crash%d", i), ledger.UserMoney, "JPY")
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = a.ID
		if _, err := l.Commit(ctx, ledger.Request{Scope: "crash", Key: fmt.Sprintf("fund-%d", i), Transfers: []ledger.Transfer{{Kind: "topup", Debit: sys.ID, Credit: a.ID, Amount: 1 << 40, Currency: "JPY"}}}); err != nil {
			t.Fatal(err)
		}
	}
	logPath := os.Getenv("SAIFU_CRASH_LOG")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	logLine := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(f, format+"\n", args...)
	}
	submit := func(key string, r *crashReq) {
		res, err := l.Commit(ctx, ledger.Request{Scope: "crash", Key: key, Transfers: []ledger.Transfer{{Kind: "p2p", Debit: r.from, Credit: r.to, Amount: r.amount, Currency: "JPY"}}})
		if err != nil {
			if apperr.CodeOf(err) != apperr.Internal {
				fmt.Fprintf(os.Stderr, "unexpected error for %s: %v\n", key, err)
				os.Exit(3)
			}
			return // not acknowledged; retried after the next restart
		}
		logLine("A %s %d .", key, res.TransferIDs[0])
	}
	// Retry what an earlier run sent but never saw acknowledged.
	prev, order, err := readCrashLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range order {
		if r := prev[key]; !r.acked {
			submit(key, r)
		}
	}
	fmt.Println("crash-child-ready")
	round := os.Getenv("SAIFU_CRASH_ROUND")
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for n := 0; ; n++ {
				r := &crashReq{from: ids[rng.IntN(users)], amount: 1 + rng.Int64N(1000)}
				for r.to = ids[rng.IntN(users)]; r.to == r.from; r.to = ids[rng.IntN(users)] {
				}
				key := fmt.Sprintf("r%s-%d-%d-%d", round, w, n, r.amount)
				logLine("S %s %d %d .", key, r.from, r.to)
				submit(key, r)
			}
		}()
	}
	wg.Wait()
}
