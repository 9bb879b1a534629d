package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

func TestBankConsentLinksTheRightHolder(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tests := []struct {
			name    string
			attempt linkAttempt
			want    connector.Holder
		}{
			{"yamada at 0001", yamada(), connector.Holder{AccountID: "sbx-0001-1234567", AccountLast4: "4567",
				NameKana: "ヤマダ タロウ", NameRomaji: "YAMADA TARO", Phone: "+819000000001"}},
			{"tanaka at 0002", linkAttempt{bank: "0002", login: "tanaka", password: "tanaka-pass-0002", phone: "+819000000003",
				state: "opaque/state with spaces&symbols=?"}, connector.Holder{AccountID: "sbx-0002-2468013", AccountLast4: "8013",
				NameKana: "タナカ イチロウ", NameRomaji: "TANAKA ICHIRO", Phone: "+819000000003"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := tt.attempt
				q := e.consent(t, &a)
				if got := q.Get("state"); got != a.state {
					t.Errorf("state = %q, want %q (passed through unchanged)", got, a.state)
				}
				if q.Get("code") == "" || q.Get("error") != "" {
					t.Fatalf("redirect query %v: want a code and no error", q)
				}
				if notice := e.sms.last(a.phone); !strings.Contains(notice, "account ending "+tt.want.AccountLast4+" was linked to saifu (wallet.example)") {
					t.Errorf("the holder was not told of the link: last SMS %q", notice)
				}
				tok, err := e.bank.ExchangeCode(ctx, a.bank, q.Get("code"), a.verifier, redirectURI)
				if err != nil {
					t.Fatal(err)
				}
				if tok.AccessToken == "" || tok.RefreshToken == "" || !tok.ExpiresAt.After(e.clock.now()) {
					t.Errorf("token %+v: want access and refresh tokens expiring in the future", tok)
				}
				h, err := e.bank.Holder(ctx, a.bank, tok.AccessToken)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(h, tt.want); diff != "" {
					t.Errorf("holder (-got +want):\n%s", diff)
				}
				// The token of one bank is worthless at another.
				other := map[string]string{"0001": "0002", "0002": "0001"}[a.bank]
				if _, err := e.bank.Holder(ctx, other, tok.AccessToken); !errors.Is(err, connector.ErrInvalidToken) {
					t.Errorf("holder at bank %s with bank %s's token: err = %v, want ErrInvalidToken", other, a.bank, err)
				}
			})
		}
	})
}

func TestBankConsentDenied(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := yamada()
		_, challenge := connector.NewPKCE()
		u, _ := e.bank.AuthorizeURL(a.bank, a.state, challenge, redirectURI)
		p := e.get(t, u)
		p = e.post(t, "/sandbox/bank/0001/login", url.Values{"flow": {p.flow(t)}, "login_id": {a.login}, "password": {a.password}})
		p = e.post(t, "/sandbox/bank/0001/otp", url.Values{"flow": {p.flow(t)}, "otp": {e.sms.code(t, a.phone)}})
		flow := p.flow(t)
		q := redirectQuery(t, e.post(t, "/sandbox/bank/0001/consent", url.Values{"flow": {flow}, "decision": {"deny"}}))
		if q.Get("error") != "access_denied" || q.Get("code") != "" || q.Get("state") != a.state {
			t.Errorf("deny redirect query = %v, want error=access_denied, the state, no code", q)
		}
		// The flow is over: approving afterwards is refused.
		if p := e.post(t, "/sandbox/bank/0001/consent", url.Values{"flow": {flow}, "decision": {"approve"}}); p.status != http.StatusBadRequest {
			t.Errorf("approve after deny: status %d, want 400", p.status)
		}
	})
}

func TestBankLoginAndCodeFailures(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		start := func(t *testing.T) string {
			_, challenge := connector.NewPKCE()
			u, _ := e.bank.AuthorizeURL("0001", "s", challenge, redirectURI)
			return e.get(t, u).flow(t)
		}
		login := func(t *testing.T, flow, pw string) page {
			return e.post(t, "/sandbox/bank/0001/login", url.Values{"flow": {flow}, "login_id": {"suzuki"}, "password": {pw}})
		}
		t.Run("wrong password, then right", func(t *testing.T) {
			flow := start(t)
			sent := e.sms.count("+819000000002")
			if p := login(t, flow, "wrong"); p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Wrong login ID or password") {
				t.Fatalf("wrong password: status %d", p.status)
			}
			if e.sms.count("+819000000002") != sent {
				t.Fatal("a code was sent after a wrong password")
			}
			if p := login(t, flow, "suzuki-pass-0001"); p.status != http.StatusOK {
				t.Fatalf("right password: status %d", p.status)
			}
		})
		t.Run("unknown login id looks like a wrong password", func(t *testing.T) {
			p := e.post(t, "/sandbox/bank/0001/login", url.Values{"flow": {start(t)}, "login_id": {"nobody"}, "password": {"x"}})
			if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Wrong login ID or password") {
				t.Fatalf("unknown login: status %d", p.status)
			}
		})
		t.Run("a login of another bank does not work here", func(t *testing.T) {
			p := e.post(t, "/sandbox/bank/0001/login", url.Values{"flow": {start(t)}, "login_id": {"tanaka"}, "password": {"tanaka-pass-0002"}})
			if p.status != http.StatusUnauthorized {
				t.Fatalf("tanaka at 0001: status %d, want 401", p.status)
			}
		})
		t.Run("wrong codes end the flow", func(t *testing.T) {
			flow := start(t)
			login(t, flow, "suzuki-pass-0001")
			right := e.sms.code(t, "+819000000002")
			wrong := fmt.Sprintf("%06d", (atoi(right)+1)%1_000_000)
			for i, want := range []int{http.StatusUnauthorized, http.StatusUnauthorized, http.StatusForbidden} {
				if p := e.post(t, "/sandbox/bank/0001/otp", url.Values{"flow": {flow}, "otp": {wrong}}); p.status != want {
					t.Fatalf("wrong code %d: status %d, want %d", i+1, p.status, want)
				}
			}
			if p := e.post(t, "/sandbox/bank/0001/otp", url.Values{"flow": {flow}, "otp": {right}}); p.status != http.StatusBadRequest {
				t.Fatalf("right code after the flow died: status %d, want 400", p.status)
			}
		})
		t.Run("expired code", func(t *testing.T) {
			flow := start(t)
			login(t, flow, "suzuki-pass-0001")
			code := e.sms.code(t, "+819000000002")
			e.clock.advance(6 * time.Minute)
			if p := e.post(t, "/sandbox/bank/0001/otp", url.Values{"flow": {flow}, "otp": {code}}); p.status != http.StatusForbidden {
				t.Fatalf("expired code: status %d, want 403", p.status)
			}
		})
		t.Run("skipping the code is impossible", func(t *testing.T) {
			flow := start(t)
			login(t, flow, "suzuki-pass-0001")
			if p := e.post(t, "/sandbox/bank/0001/consent", url.Values{"flow": {flow}, "decision": {"approve"}}); p.status != http.StatusBadRequest {
				t.Fatalf("consent before the code: status %d, want 400", p.status)
			}
		})
		t.Run("ten wrong passwords lock the login across flows", func(t *testing.T) {
			for range 2 {
				flow := start(t)
				for range 5 {
					login(t, flow, "guess")
				}
			}
			if p := login(t, start(t), "suzuki-pass-0001"); p.status != http.StatusForbidden || !strings.Contains(p.body, "locked") {
				t.Fatalf("right password while locked: status %d, want 403", p.status)
			}
			e.clock.advance(16 * time.Minute)
			if p := login(t, start(t), "suzuki-pass-0001"); p.status != http.StatusOK {
				t.Fatalf("right password after the lock: status %d, want 200", p.status)
			}
		})
		t.Run("forged flow", func(t *testing.T) {
			if p := login(t, strings.Repeat("A", 43), "suzuki-pass-0001"); p.status != http.StatusBadRequest {
				t.Fatalf("forged flow: status %d, want 400", p.status)
			}
		})
	})
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestBankAuthorizeRefusesBadRequests(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, challenge := connector.NewPKCE()
		good := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI},
			"state": {"s1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		tests := []struct {
			name       string
			bank       string
			set        map[string]string
			wantStatus int
			wantError  string // in the redirect
		}{
			{"plain PKCE refused", "0001", map[string]string{"code_challenge_method": "plain"}, http.StatusFound, "invalid_request"},
			{"no PKCE refused", "0001", map[string]string{"code_challenge_method": "", "code_challenge": ""}, http.StatusFound, "invalid_request"},
			{"no state refused", "0001", map[string]string{"state": ""}, http.StatusFound, "invalid_request"},
			{"token response type refused", "0001", map[string]string{"response_type": "token"}, http.StatusFound, "invalid_request"},
			{"bad redirect shown, not followed", "0001", map[string]string{"redirect_uri": "javascript:alert(1)"}, http.StatusBadRequest, ""},
			{"bad client shown", "0001", map[string]string{"client_id": "<x>"}, http.StatusBadRequest, ""},
			{"unknown bank", "9999", nil, http.StatusNotFound, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := url.Values{}
				for k, v := range good {
					q[k] = v
				}
				for k, v := range tt.set {
					q.Set(k, v)
				}
				p := e.get(t, e.url+"/sandbox/bank/"+tt.bank+"/authorize?"+q.Encode())
				if p.status != tt.wantStatus {
					t.Fatalf("status %d, want %d", p.status, tt.wantStatus)
				}
				if tt.wantError != "" {
					if got := redirectQuery(t, p).Get("error"); got != tt.wantError {
						t.Errorf("redirect error = %q, want %q", got, tt.wantError)
					}
				}
			})
		}
	})
}

func TestBankCodeExchangeFailures(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		otherVerifier, _ := connector.NewPKCE()
		tests := []struct {
			name     string
			verifier func(right string) string
			redirect string
			bank     string
			advance  time.Duration
		}{
			{"PKCE verifier mismatch", func(string) string { return otherVerifier }, redirectURI, "0001", 0},
			{"redirect URI differs", func(v string) string { return v }, redirectURI + "x", "0001", 0},
			{"code of another bank", func(v string) string { return v }, redirectURI, "0002", 0},
			{"code expired", func(v string) string { return v }, redirectURI, "0001", 2 * time.Minute},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := yamada()
				q := e.consent(t, &a)
				e.clock.advance(tt.advance)
				_, err := e.bank.ExchangeCode(ctx, tt.bank, q.Get("code"), tt.verifier(a.verifier), tt.redirect)
				if !errors.Is(err, connector.ErrInvalidGrant) {
					t.Fatalf("err = %v, want ErrInvalidGrant", err)
				}
				// A failed attempt burns the code: the right verifier is too late.
				if _, err := e.bank.ExchangeCode(ctx, a.bank, q.Get("code"), a.verifier, redirectURI); !errors.Is(err, connector.ErrInvalidGrant) {
					t.Fatalf("retry with the right verifier: err = %v, want ErrInvalidGrant", err)
				}
			})
		}
	})
}

func TestBankCodeReuseRevokesTokens(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := yamada()
		q := e.consent(t, &a)
		tok, err := e.bank.ExchangeCode(ctx, "0001", q.Get("code"), a.verifier, redirectURI)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.bank.Holder(ctx, "0001", tok.AccessToken); err != nil {
			t.Fatal(err)
		}
		if _, err := e.bank.ExchangeCode(ctx, "0001", q.Get("code"), a.verifier, redirectURI); !errors.Is(err, connector.ErrInvalidGrant) {
			t.Fatalf("second exchange: err = %v, want ErrInvalidGrant", err)
		}
		if _, err := e.bank.Holder(ctx, "0001", tok.AccessToken); !errors.Is(err, connector.ErrInvalidToken) {
			t.Fatalf("holder after code replay: err = %v, want ErrInvalidToken (tokens revoked)", err)
		}
		if _, err := e.bank.Refresh(ctx, "0001", tok.RefreshToken); !errors.Is(err, connector.ErrInvalidGrant) {
			t.Fatalf("refresh after code replay: err = %v, want ErrInvalidGrant", err)
		}
	})
}

func TestBankRefreshRotates(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tok := e.link(t, yamada())
		next, err := e.bank.Refresh(ctx, "0001", tok.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		if h, err := e.bank.Holder(ctx, "0001", next.AccessToken); err != nil || h.NameRomaji != "YAMADA TARO" {
			t.Fatalf("holder with refreshed token: %+v, %v", h, err)
		}
		if _, err := e.bank.Refresh(ctx, "0001", tok.RefreshToken); !errors.Is(err, connector.ErrInvalidGrant) {
			t.Fatalf("old refresh token: err = %v, want ErrInvalidGrant", err)
		}
		e.clock.advance(91 * 24 * time.Hour)
		if _, err := e.bank.Holder(ctx, "0001", next.AccessToken); !errors.Is(err, connector.ErrInvalidToken) {
			t.Fatalf("holder with an expired token: err = %v, want ErrInvalidToken", err)
		}
	})
}

func TestBankRevokeEndsTheLink(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		first := e.link(t, yamada())
		second := e.link(t, yamada()) // another consent of the same holder
		if err := e.bank.Revoke(ctx, "0001", first.RefreshToken); err != nil {
			t.Fatal(err)
		}
		if _, err := e.bank.Debit(ctx, "0001", first.AccessToken, 1, "k", ""); !errors.Is(err, connector.ErrInvalidToken) {
			t.Errorf("debit after revoking the grant: err = %v, want ErrInvalidToken", err)
		}
		if _, err := e.bank.Holder(ctx, "0001", second.AccessToken); err != nil {
			t.Errorf("another consent's token stopped working: %v", err)
		}
		if err := e.bank.Revoke(ctx, "0001", "sbat_unknown"); err != nil {
			t.Errorf("revoking an unknown token: %v, want nil (RFC 7009)", err)
		}
	})
}

func TestBankDebitAndCredit(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tok := e.link(t, linkAttempt{bank: "0002", login: "tanaka", password: "tanaka-pass-0002", phone: "+819000000003", state: "s"}).AccessToken
		const acct = "sbx-0002-2468013"
		steps := []struct {
			name        string
			kind        string
			amount      int64
			key         string
			wantErr     error
			wantBalance int64
		}{
			{"debit", "debit", 100_000, "k1", nil, 200_000},
			{"same key, same request: once", "debit", 100_000, "k1", nil, 200_000},
			{"same key, other amount", "debit", 5, "k1", connector.ErrIdempotencyKeyReused, 200_000},
			{"same key as a credit", "credit", 100_000, "k1", connector.ErrIdempotencyKeyReused, 200_000},
			{"more than the balance", "debit", 200_001, "k2", connector.ErrInsufficientFunds, 200_000},
			{"exactly the balance", "debit", 200_000, "k3", nil, 0},
			{"credit", "credit", 50_000, "k4", nil, 50_000},
			{"zero amount", "credit", 0, "k5", connector.ErrInvalidRequest, 50_000},
			{"no key", "debit", 1, "", connector.ErrInvalidRequest, 50_000},
			{"above the per-transaction bound", "credit", 100_000_001, "k6", connector.ErrInvalidRequest, 50_000},
		}
		var firstID string
		for _, st := range steps {
			var txn connector.BankTxn
			var err error
			if st.kind == "debit" {
				txn, err = e.bank.Debit(ctx, "0002", tok, st.amount, st.key, "saifu top-up")
			} else {
				txn, err = e.bank.Credit(ctx, "0002", tok, st.amount, st.key, "saifu withdrawal")
			}
			if !errors.Is(err, st.wantErr) || (st.wantErr == nil && err != nil) {
				t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
			}
			if st.key == "k1" && err == nil {
				if firstID == "" {
					firstID = txn.ID
				} else if txn.ID != firstID {
					t.Errorf("%s: repeat answered txn %s, want the first %s", st.name, txn.ID, firstID)
				}
			}
			if got := e.balance(t, acct); got != st.wantBalance {
				t.Fatalf("%s: balance %d, want %d", st.name, got, st.wantBalance)
			}
		}
		if _, err := e.bank.Debit(ctx, "0002", "sbat_forged", 1, "k7", ""); !errors.Is(err, connector.ErrInvalidToken) {
			t.Errorf("forged token: err = %v, want ErrInvalidToken", err)
		}
	})
}

// TestBankParallelDebitsNeverOverdraw: 20 debits of 100,000 against 500,000.
func TestBankParallelDebitsNeverOverdraw(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tok := e.link(t, linkAttempt{bank: "0001", login: "suzuki", password: "suzuki-pass-0001", phone: "+819000000002", state: "s"}).AccessToken
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, poor := 0, 0
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.bank.Debit(ctx, "0001", tok, 100_000, fmt.Sprintf("p%d", i%12), "")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, connector.ErrInsufficientFunds):
					poor++
				default:
					t.Errorf("debit: %v", err)
				}
			}()
		}
		wg.Wait()
		if got := e.balance(t, "sbx-0001-7654321"); got != 0 {
			t.Errorf("balance %d, want 0", got)
		}
		var n int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM sandbox_bank_txns`).Scan(&n)
		if n != 5 {
			t.Errorf("%d transactions booked, want 5 (ok answers %d, insufficient %d)", n, ok, poor)
		}
	})
}

func TestSeedIsIdempotentAndStateSurvivesRestart(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tok := e.link(t, yamada()).AccessToken
		if _, err := e.bank.Debit(ctx, "0001", tok, 1000, "k", ""); err != nil {
			t.Fatal(err)
		}
		// A restart: a new Sandbox on the same database, seeded again.
		sb, err := sandbox.New(db, e.sms.send, e.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := sb.Seed(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.balance(t, "sbx-0001-1234567"); got != 999_000 {
			t.Errorf("balance after restart %d, want 999000", got)
		}
		var n int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM sandbox_bank_accounts`).Scan(&n)
		if n != len(sandbox.TestAccounts) {
			t.Errorf("%d accounts, want %d", n, len(sandbox.TestAccounts))
		}
		// Passwords are stored hashed.
		var hash string
		db.QueryRow(ctx, `SELECT password_hash FROM sandbox_bank_accounts WHERE login_id = 'yamada'`).Scan(&hash)
		if strings.Contains(hash, "yamada-pass") || !strings.HasPrefix(hash, "$2") {
			t.Errorf("password stored as %q, want a bcrypt hash", hash)
		}
	})
}
