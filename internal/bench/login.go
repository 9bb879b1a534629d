package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/notify"
)

// LoginConfig configures Login.
type LoginConfig struct {
	DSN           string // the database (empty: a fresh SQLite file in a temporary directory)
	Duration      time.Duration
	Clients       int // concurrent legitimate clients in the throughput phase
	FloodClients  int // concurrent attackers in the flood phase
	FloodNetworks int // distinct /24 networks the flood comes from
}

// Login measures login with real argon2id (DefaultParams) over real HTTP
// on 127.0.0.1 against the app `saifu serve --demo` builds (app.New, its
// sandbox mailbox holding the sign-up codes): first logins/s and latency
// of legitimate users, then the p99 of one legitimate user's logins while
// a credential-stuffing flood (wrong passwords for random accounts from
// thousands of addresses in many networks, arriving through a trusted
// proxy) runs; and the peak memory of the process. The hashing pool
// bounds memory at workers × 19 MiB whatever the flood does.
func Login(ctx context.Context, c LoginConfig, stdout, stderr io.Writer) error {
	if c.Clients < 1 || c.FloodClients < 1 || c.FloodNetworks < 1 || c.FloodNetworks > 65536 || c.Duration <= 0 {
		return fmt.Errorf("%w: need clients, flood clients ≥ 1, 1 ≤ flood networks ≤ 65536, duration > 0", app.ErrConfig)
	}
	dsn := c.DSN
	if dsn == "" {
		dir, err := os.MkdirTemp("", "saifu-bench-login-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = filepath.Join(dir, "bench.db")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	// Production limits sized to the hashing pool, except that the
	// legitimate users of the bench log in far more often than people do.
	workers := max(runtime.NumCPU(), 1)
	lim := app.LoginLimits(workers)
	lim.LoginAccountKnown = identity.Rate{N: 1_000_000, Window: time.Hour}
	a, err := app.New(ctx, app.Config{
		DSN: dsn, SecretKey: randomSecret(), Demo: true, PublicURL: app.PublicURL(ln.Addr().String()),
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		HashWorkers:    workers, IdentityLimits: &lim,
	})
	if err != nil {
		return err
	}
	defer a.Close()
	srv := a.Server()
	go srv.Serve(ln)
	defer srv.Close()
	svc, mailbox, hasher := a.Identity, a.Mailbox, a.Hasher
	base := "http://" + ln.Addr().String()
	transport := &http.Transport{MaxIdleConnsPerHost: c.FloodClients + c.Clients + 8}

	fmt.Fprintf(stdout, "argon2id m=%d KiB t=%d p=%d, %d hashing workers (memory bound %s), queue %d\n",
		password.DefaultParams.MemoryKiB, password.DefaultParams.Time, password.DefaultParams.Threads,
		workers, mib(hasher.MemoryBoundBytes()), workers*app.HashQueuePerWorker)

	users := make([]*benchUser, c.Clients)
	for i := range users {
		u, err := newBenchUser(ctx, svc, mailbox, transport, base, i)
		if err != nil {
			return fmt.Errorf("create user %d: %w", i, err)
		}
		users[i] = u
	}

	// Phase 1: legitimate logins as fast as the hashing pool allows.
	lat := make(latencies, len(users))
	var ok, refused atomic.Int64
	pctx, stop := context.WithTimeout(ctx, c.Duration)
	var wg sync.WaitGroup
	start := time.Now()
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pctx.Err() == nil {
				t0 := time.Now()
				status, err := u.login(u.password)
				if err != nil || pctx.Err() != nil {
					continue
				}
				lat[i] = append(lat[i], time.Since(t0))
				if status == http.StatusOK {
					ok.Add(1)
				} else {
					refused.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	stop()
	elapsed := time.Since(start)
	n, p50, p99, worst := lat.summary()
	fmt.Fprintf(stdout, "legitimate logins: %d in %v = %.1f logins/s (%d refused), p50 %v, p99 %v, max %v\n",
		n, elapsed.Round(time.Millisecond), float64(ok.Load())/elapsed.Seconds(), refused.Load(),
		p50.Round(time.Millisecond), p99.Round(time.Millisecond), worst.Round(time.Millisecond))

	// Phase 2: a credential-stuffing flood, and one legitimate user.
	var attempts atomic.Int64
	statuses := make([]atomic.Int64, 600)
	fctx, stopFlood := context.WithTimeout(ctx, c.Duration)
	defer stopFlood()
	for i := range c.FloodClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Transport: transport, Timeout: 30 * time.Second}
			r := rand.New(rand.NewPCG(uint64(i), 7))
			for fctx.Err() == nil {
				ip := fmt.Sprintf("10.%d.%d.%d", r.IntN(c.FloodNetworks)/256, r.IntN(c.FloodNetworks)%256, 1+r.IntN(254))
				body, _ := json.Marshal(map[string]string{"email": fmt.Sprintf("victim%d@example.com", r.IntN(100000)), "password": "leaked-password-" + fmt.Sprint(r.IntN(1e6))})
				req, _ := http.NewRequestWithContext(fctx, "POST", base+"/api/v1/login", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Forwarded-For", ip)
				res, err := hc.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				attempts.Add(1)
				if res.StatusCode < len(statuses) {
					statuses[res.StatusCode].Add(1)
				}
			}
		}()
	}
	legit := users[0]
	var legitLat latencies = make(latencies, 1)
	var legitFailed int
	fstart := time.Now()
	for fctx.Err() == nil {
		t0 := time.Now()
		status, err := legit.login(legit.password)
		if fctx.Err() != nil {
			break
		}
		if err != nil || status != http.StatusOK {
			legitFailed++
			continue
		}
		legitLat[0] = append(legitLat[0], time.Since(t0))
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	felapsed := time.Since(fstart)
	n, p50, p99, worst = legitLat.summary()
	fmt.Fprintf(stdout, "flood: %d attempts in %v = %.0f attempts/s from %d networks (401: %d, 429: %d, other: %d)\n",
		attempts.Load(), felapsed.Round(time.Millisecond), float64(attempts.Load())/felapsed.Seconds(), c.FloodNetworks,
		statuses[401].Load(), statuses[429].Load(), attempts.Load()-statuses[401].Load()-statuses[429].Load())
	fmt.Fprintf(stdout, "legitimate user during the flood: %d logins, %d failed, p50 %v, p99 %v, max %v\n",
		n, legitFailed, p50.Round(time.Millisecond), p99.Round(time.Millisecond), worst.Round(time.Millisecond))
	alerts, err := svc.Alerts(ctx, 500)
	if err == nil {
		fmt.Fprintf(stdout, "credential-stuffing alerts raised: %d\n", len(alerts))
	}
	fmt.Fprintf(stdout, "peak memory (RSS): %s; hashing memory bound: %s\n", mib(peakRSS()), mib(hasher.MemoryBoundBytes()))
	return nil
}

// benchUser is a verified account with its own device cookie.
type benchUser struct {
	hc              *http.Client
	base            string
	email, password string
}

var benchCode = regexp.MustCompile(`\b\d{6}\b`)

func newBenchUser(ctx context.Context, svc *identity.Service, mb *notify.Mailbox, tr *http.Transport, base string, i int) (*benchUser, error) {
	u := &benchUser{base: base, email: fmt.Sprintf("bench%d@example.com", i), password: fmt.Sprintf("bench passphrase number %d", i)}
	jar, _ := cookiejar.New(nil)
	u.hc = &http.Client{Transport: tr, Jar: jar, Timeout: 60 * time.Second}
	c := identity.Client{IP: netip.MustParseAddr("127.0.0.1"), UserAgent: "bench", Lang: "en"}
	if err := svc.Signup(ctx, u.email, u.password, c); err != nil {
		return nil, err
	}
	var code string
	for deadline := time.Now().Add(10 * time.Second); code == "" && time.Now().Before(deadline); {
		msgs, err := mb.List(ctx, u.email)
		if err != nil {
			return nil, err
		}
		if len(msgs) > 0 {
			code = benchCode.FindString(msgs[0].Subject)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code == "" {
		return nil, errors.New("no verification mail")
	}
	if _, _, _, err := svc.VerifySignup(ctx, u.email, code, c); err != nil {
		return nil, err
	}
	// One login over HTTP makes the device cookie known for the account.
	if status, err := u.login(u.password); err != nil || status != http.StatusOK {
		return nil, fmt.Errorf("first login: %d %v", status, err)
	}
	return u, nil
}

func (u *benchUser) login(pw string) (int, error) {
	body, _ := json.Marshal(map[string]string{"email": u.email, "password": pw})
	req, err := http.NewRequest("POST", u.base+"/api/v1/login", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "bench")
	res, err := u.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}
