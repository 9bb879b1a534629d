package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/saifu-pay/saifu/internal/funding"
)

// callback is one browser or app landing on the bank-link callback.
type callback struct {
	status      int
	contentType string
	body        string
	code        string // the error code of a JSON answer
	csp         string
}

func (e *fundEnv) callback(t *testing.T, u string, html bool) callback {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if html {
		req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	}
	res, err := e.browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	c := callback{status: res.StatusCode, contentType: res.Header.Get("Content-Type"), body: string(b),
		csp: res.Header.Get("Content-Security-Policy")}
	var eb struct {
		Error struct{ Code string } `json:"error"`
	}
	if json.Unmarshal(b, &eb) == nil {
		c.code = eb.Error.Code
	}
	return c
}

// startLink starts a link at bank for a and returns its id and the state
// the bank will echo back (read from the authorize URL, as the bank does).
func startLink(t *testing.T, a *agent, bank string) (id, authorizeURL, state string) {
	t.Helper()
	r := a.do("POST", "/api/v1/bank-links", map[string]string{"bank_code": bank}).want(t, 201)
	u, err := url.Parse(r.str("authorize_url"))
	if err != nil {
		t.Fatal(err)
	}
	return r.str("bank_link_id"), r.str("authorize_url"), u.Query().Get("state")
}

func (e *fundEnv) linkStatus(t *testing.T, id string) (status, reason string) {
	t.Helper()
	if err := e.db.QueryRow(context.Background(), `SELECT status, reject_reason FROM funding_bank_links WHERE id = ?`, id).Scan(&status, &reason); err != nil {
		t.Fatal(err)
	}
	return status, reason
}

// A refusal by the bank is the user's 400 with a code that says which,
// never a 500; the link is rejected. A browser gets a page in Japanese and
// English without links or script; an app gets JSON. On SQLite and PostgreSQL.
func TestBankLinkCallbackRefusals(t *testing.T) {
	eachFundEnv(t, funding.Limits{}, func(t *testing.T, e *fundEnv) {
		a, _ := e.user(t, "cb@example.com", "YAMADA Taro")
		cbURL := e.srv.URL + "/api/v1/bank-links/callback?"
		codeOf := func(t *testing.T, back string) string {
			u, err := url.Parse(back)
			if err != nil {
				t.Fatal(err)
			}
			return u.Query().Get("code")
		}
		// Link A's code, consented but not exchanged yet.
		idA, authA, _ := startLink(t, a, "0001")
		backA := e.consent(t, authA, "yamada", "yamada-pass-0001", "+819000000001", true)
		codeA := codeOf(t, backA)

		tests := []struct {
			name       string
			query      func(t *testing.T) (linkID string, q url.Values)
			html       bool
			wantStatus int
			wantCode   string
			wantReason string
			wantPage   string // in the English part of the page
		}{
			{"another link's code (PKCE mismatch)", func(t *testing.T) (string, url.Values) {
				id, _, state := startLink(t, a, "0001")
				return id, url.Values{"state": {state}, "code": {codeA}}
			}, false, 400, "invalid_grant", funding.RejectInvalidGrant, ""},
			{"another link's code, in a browser", func(t *testing.T) (string, url.Values) {
				id, _, state := startLink(t, a, "0001")
				return id, url.Values{"state": {state}, "code": {codeA}}
			}, true, 400, "", funding.RejectInvalidGrant, "already used, has expired or belongs to another link request"},
			{"consent declined", func(t *testing.T) (string, url.Values) {
				id, _, state := startLink(t, a, "0001")
				return id, url.Values{"state": {state}, "error": {"access_denied"}}
			}, false, 400, "access_denied", funding.RejectConsentDenied, ""},
			{"consent declined, in a browser", func(t *testing.T) (string, url.Values) {
				id, _, state := startLink(t, a, "0001")
				return id, url.Values{"state": {state}, "error": {"access_denied"}}
			}, true, 400, "", funding.RejectConsentDenied, "consent was declined at the bank"},
			{"bank reports a bad request", func(t *testing.T) (string, url.Values) {
				id, _, state := startLink(t, a, "0001")
				return id, url.Values{"state": {state}, "error": {"invalid_scope"}}
			}, false, 400, "invalid_request", funding.RejectBankRefused, ""},
			{"bank temporarily unavailable", func(t *testing.T) (string, url.Values) {
				id, _, state := startLink(t, a, "0001")
				return id, url.Values{"state": {state}, "error": {"temporarily_unavailable"}}
			}, false, 503, "unavailable", funding.RejectBankError, ""},
			{"neither code nor error", func(t *testing.T) (string, url.Values) {
				id, _, state := startLink(t, a, "0001")
				return id, url.Values{"state": {state}}
			}, false, 400, "invalid_request", funding.RejectBankRefused, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id, q := tt.query(t)
				got := e.callback(t, cbURL+q.Encode(), tt.html)
				if got.status != tt.wantStatus || got.code != tt.wantCode {
					t.Fatalf("got %d %q: %s, want %d %q", got.status, got.code, got.body, tt.wantStatus, tt.wantCode)
				}
				if status, reason := e.linkStatus(t, id); status != funding.LinkRejected || reason != tt.wantReason {
					t.Errorf("link %s %s, want rejected %s", status, reason, tt.wantReason)
				}
				if !tt.html {
					if !strings.HasPrefix(got.contentType, "application/json") {
						t.Errorf("Content-Type %q, want JSON", got.contentType)
					}
					return
				}
				checkBankLinkPage(t, got, "連携されませんでした", tt.wantPage)
			})
		}
		t.Run("a used code", func(t *testing.T) {
			// Link A's code was burnt by the mismatch above: link again.
			if status, _ := e.linkStatus(t, idA); status != funding.LinkPending {
				t.Fatalf("link A %s, want still pending", status)
			}
			idU, authU, _ := startLink(t, a, "0001")
			backU := e.consent(t, authU, "yamada", "yamada-pass-0001", "+819000000001", true)
			if got := e.callback(t, backU, false); got.status != 200 {
				t.Fatalf("link: %d %s", got.status, got.body)
			}
			if status, _ := e.linkStatus(t, idU); status != funding.LinkActive {
				t.Fatalf("link %s, want active", status)
			}
			id, _, state := startLink(t, a, "0001")
			got := e.callback(t, cbURL+url.Values{"state": {state}, "code": {codeOf(t, backU)}}.Encode(), false)
			if got.status != 400 || got.code != "invalid_grant" {
				t.Fatalf("got %d %s, want 400 invalid_grant", got.status, got.body)
			}
			if status, reason := e.linkStatus(t, id); status != funding.LinkRejected || reason != funding.RejectInvalidGrant {
				t.Errorf("link %s %s, want rejected invalid_grant", status, reason)
			}
			// The used state itself is refused as such, in a page too.
			if got := e.callback(t, backU, true); got.status != 400 {
				t.Errorf("replayed callback: %d %s", got.status, got.body)
			} else {
				checkBankLinkPage(t, got, "連携の手続きが無効か期限切れです", "start again")
			}
		})
		t.Run("linked, in a browser", func(t *testing.T) {
			b, _ := e.user(t, "cb-suzuki@example.com", "SUZUKI Hanako")
			id, auth, _ := startLink(t, b, "0001")
			back := e.consent(t, auth, "suzuki", "suzuki-pass-0001", "+819000000002", true)
			got := e.callback(t, back, true)
			if got.status != 200 {
				t.Fatalf("got %d %s", got.status, got.body)
			}
			checkBankLinkPage(t, got, "連携しました", "ending 4321 is linked")
			if status, _ := e.linkStatus(t, id); status != funding.LinkActive {
				t.Errorf("link %s, want active", status)
			}
		})
	})
}

// checkBankLinkPage checks a callback page: HTML, both languages, no link,
// no script, a CSP that allows none.
func checkBankLinkPage(t *testing.T, got callback, wantJA, wantEN string) {
	t.Helper()
	if !strings.HasPrefix(got.contentType, "text/html") {
		t.Errorf("Content-Type %q, want text/html", got.contentType)
	}
	if !strings.Contains(got.body, wantJA) || !strings.Contains(got.body, wantEN) {
		t.Errorf("page lacks %q or %q:\n%s", wantJA, wantEN, got.body)
	}
	for _, banned := range []string{"<a ", "href", "<script", "<form", "login", "ログイン"} {
		if strings.Contains(strings.ToLower(got.body), banned) {
			t.Errorf("page contains %q:\n%s", banned, got.body)
		}
	}
	if !strings.Contains(got.csp, "default-src 'none'") {
		t.Errorf("CSP %q, want default-src 'none'", got.csp)
	}
}

// yamadaAccountsMax: the extra sandbox accounts in YAMADA Taro's name the
// cap test links at once.
const yamadaAccountsMax = 4

// addYamadaAccounts gives the sandbox bank n more accounts held by
// ヤマダ タロウ, each with its own login and phone, and returns their logins.
func (e *fundEnv) addYamadaAccounts(t *testing.T, n int) []string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("yamada-extra-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	var logins []string
	for i := range n {
		login := "yamada-extra-" + string(rune('a'+i))
		if _, err := e.db.Exec(context.Background(), `INSERT INTO sandbox_bank_accounts
			(id, bank_code, login_id, password_hash, account_number, name_kana, name_romaji, phone, balance)
			VALUES (?, '0001', ?, ?, ?, 'ヤマダ タロウ', 'YAMADA TARO', ?, 100000)`,
			"sbx-0001-900000"+string(rune('0'+i)), login, string(hash), "900000"+string(rune('0'+i)), "+81900000009"+string(rune('0'+i))); err != nil {
			t.Fatal(err)
		}
		logins = append(logins, login)
	}
	return logins
}

// TestBankLinksPerUserParallel: parallel completions of pending links by
// one user cannot exceed LinksPerUserMax (the count and the activation are
// one serialised step, on PostgreSQL's READ COMMITTED too). On SQLite and
// PostgreSQL.
func TestBankLinksPerUserParallel(t *testing.T) {
	eachFundEnv(t, funding.Limits{LinksPerUserMax: 1}, func(t *testing.T, e *fundEnv) {
		a, _ := e.user(t, "links@example.com", "YAMADA Taro")
		logins := e.addYamadaAccounts(t, yamadaAccountsMax)
		backs := make([]string, len(logins))
		for i, login := range logins {
			_, auth, _ := startLink(t, a, "0001")
			backs[i] = e.consent(t, auth, login, "yamada-extra-pass", "+81900000009"+string(rune('0'+i)), true)
		}
		statuses := make([]int, len(backs))
		var wg sync.WaitGroup
		for i, back := range backs {
			wg.Go(func() { statuses[i] = e.callback(t, back, false).status })
		}
		wg.Wait()
		ok := 0
		for _, s := range statuses {
			if s == 200 {
				ok++
			} else if s != 422 {
				t.Errorf("callback status %d, want 200 or 422 limit_exceeded", s)
			}
		}
		var active int
		if err := e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM funding_bank_links WHERE status = ?`, funding.LinkActive).Scan(&active); err != nil {
			t.Fatal(err)
		}
		if ok != 1 || active != 1 {
			t.Errorf("%d callbacks linked, %d links active (statuses %v); want exactly 1", ok, active, statuses)
		}
	})
}
