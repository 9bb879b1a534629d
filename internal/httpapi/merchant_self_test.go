package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/webhook"
)

// put sends a PUT with the given Idempotency-Key ("" for none).
func (a *agent) put(path string, body any, key string) resp {
	a.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			a.e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(http.MethodPut, a.e.srv.URL+path, rd)
	if err != nil {
		a.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", a.ua)
	req.Header.Set("X-Forwarded-For", a.ip)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	res, err := a.hc.Do(req)
	if err != nil {
		a.e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{status: res.StatusCode, raw: string(raw), header: res.Header}
	json.Unmarshal(raw, &out.body)
	return out
}

// chargeItem is one item of GET /api/v1/merchant/charges.
type chargeItem struct {
	ChargeID       string `json:"charge_id"`
	Method         string `json:"method"`
	Status         string `json:"status"`
	DeclineCode    string `json:"decline_code"`
	Amount         int64  `json:"amount"`
	Refunded       int64  `json:"refunded"`
	Currency       string `json:"currency"`
	OrderID        string `json:"order_id"`
	CreatedAt      string `json:"created_at"`
	HasMoreRefunds bool   `json:"has_more_refunds"`
	Refunds        []struct {
		RefundID string `json:"refund_id"`
		ChargeID string `json:"charge_id"`
		Amount   int64  `json:"amount"`
		Status   string `json:"status"`
	} `json:"refunds"`
}

// chargePages walks the merchant's charges with query q (limit, status)
// from the first page to the last, and returns every item and the number
// of pages; between pages it calls between (nil: nothing).
func chargePages(t *testing.T, shop *agent, q url.Values, between func(page int)) ([]chargeItem, int) {
	t.Helper()
	var all []chargeItem
	cursor := ""
	for page := 1; page <= 50; page++ { // bound: the tests make far fewer pages
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		if cursor != "" {
			qq.Set("cursor", cursor)
		}
		r := shop.do("GET", "/api/v1/merchant/charges?"+qq.Encode(), nil).want(t, 200)
		var body struct {
			Items      []chargeItem `json:"items"`
			NextCursor *string      `json:"next_cursor"`
		}
		if err := json.Unmarshal([]byte(r.raw), &body); err != nil || body.Items == nil || body.NextCursor == nil {
			t.Fatalf("page %d: %v %s", page, err, r.raw)
		}
		all = append(all, body.Items...)
		if *body.NextCursor == "" {
			return all, page
		}
		cursor = *body.NextCursor
		if between != nil {
			between(page)
		}
	}
	t.Fatal("more than 50 pages")
	return nil, 0
}

func ids(items []chargeItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ChargeID
	}
	return out
}

// TestMerchantChargesList: a merchant pages through more charges than one
// page holds, newest first, with no charge twice and none missing, even
// while new charges arrive and with many charges in the same millisecond;
// the status filter returns exactly those charges; refunds come with their
// charge; another merchant never sees them, not even with a cursor of
// theirs. On SQLite and PostgreSQL.
func TestMerchantChargesList(t *testing.T) {
	eachWalletEnvOpts(t, walletOpts{}, func(t *testing.T, e *walletEnv) {
		shop, _ := e.merchant("List Shop")
		other, _ := e.merchant("Other Shop")
		alice, aliceID, _ := e.user(true)
		broke, _, _ := e.user(true)
		e.fund(aliceID, 20000, 0)

		type made struct {
			id     string
			at     time.Time
			status string
		}
		var mine []made
		charge := func(payer *agent, amount int64, order string) string {
			t.Helper()
			code := payer.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
			r := shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": amount, "order_id": order}).want(t, 201)
			mine = append(mine, made{r.str("charge_id"), e.clock.Now(), r.str("status")})
			return r.str("charge_id")
		}
		// 41 charges; three in each millisecond, so that the order within
		// one created_at (by id) is exercised; every fifth one declined.
		for i := range 41 {
			if i%3 == 0 {
				e.clock.Advance(time.Millisecond)
			}
			payer := alice
			if i%5 == 4 {
				payer = broke
			}
			charge(payer, int64(100+i), fmt.Sprintf("order-%d", i))
		}
		// One paid by MPM: the customer pays the merchant's QR code.
		e.clock.Advance(time.Millisecond)
		qr := shop.do("GET", "/api/v1/merchant/qr", nil).want(t, 200).str("payload")
		mpm := alice.post("/api/v1/payments", map[string]any{"merchant_qr": qr, "amount": 700}).want(t, 201)
		mine = append(mine, made{mpm.str("payment_id"), e.clock.Now(), mpm.str("status")})
		// A refund of the newest CPM charge.
		refunded := mine[len(mine)-2]
		if refunded.status != "succeeded" {
			t.Fatalf("charge to refund is %s", refunded.status)
		}
		ref := shop.post("/api/v1/merchant/charges/"+refunded.id+"/refunds", map[string]any{"amount": 50}).want(t, 201).str("refund_id")
		// The other merchant's charge.
		code := alice.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
		theirs := other.post("/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": 300}).want(t, 201).str("charge_id")

		// Expected order: newest first, then by id descending.
		want := slices.Clone(mine)
		slices.SortFunc(want, func(a, b made) int {
			if c := b.at.Compare(a.at); c != 0 {
				return c
			}
			return strings.Compare(b.id, a.id)
		})
		wantIDs := make([]string, len(want))
		var wantSucceeded, wantDeclined []string
		for i, m := range want {
			wantIDs[i] = m.id
			switch m.status {
			case "succeeded":
				wantSucceeded = append(wantSucceeded, m.id)
			case "declined":
				wantDeclined = append(wantDeclined, m.id)
			}
		}
		if len(wantDeclined) != 8 {
			t.Fatalf("%d declined charges, want 8", len(wantDeclined))
		}

		// Charges made while the merchant pages are newer than every
		// cursor: they shift nothing and show on no later page.
		var late []string
		got, pages := chargePages(t, shop, url.Values{"limit": {"20"}}, func(int) {
			e.clock.Advance(time.Millisecond)
			code := alice.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
			late = append(late, shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": 10}).want(t, 201).str("charge_id"))
		})
		if pages != 3 {
			t.Errorf("%d pages of 20 for %d charges, want 3", pages, len(want))
		}
		if diff := cmp.Diff(ids(got), wantIDs); diff != "" {
			t.Fatalf("charge ids over all pages (-got +want):\n%s", diff)
		}
		// The default page is 20; the late charges lead the next walk.
		got, pages = chargePages(t, shop, url.Values{}, nil)
		slices.Reverse(late)
		if pages != 3 || !slices.Equal(ids(got)[:len(late)], late) || !slices.Equal(ids(got)[len(late):], wantIDs) {
			t.Fatalf("second walk: %d pages, ids %v", pages, ids(got))
		}

		byID := map[string]chargeItem{}
		for _, it := range got {
			byID[it.ChargeID] = it
		}
		if it := byID[refunded.id]; it.Method != "cpm" || it.Refunded != 50 || it.Currency != "JPY" || it.OrderID != "order-40" ||
			len(it.Refunds) != 1 || it.Refunds[0].RefundID != ref || it.Refunds[0].Amount != 50 || it.Refunds[0].Status != "succeeded" || it.HasMoreRefunds {
			t.Errorf("refunded charge: %+v", it)
		}
		if it := byID[mpm.str("payment_id")]; it.Method != "mpm" || it.Amount != 700 || it.Status != "succeeded" || len(it.Refunds) != 0 {
			t.Errorf("MPM payment: %+v", it)
		}
		if it := byID[wantDeclined[0]]; it.DeclineCode != "insufficient_funds" {
			t.Errorf("declined charge: %+v", it)
		}

		tests := []struct {
			name    string
			status  string
			limit   string
			wantIDs []string
		}{
			{"succeeded", "succeeded", "7", append(slices.Clone(late), wantSucceeded...)},
			{"declined", "declined", "3", wantDeclined},
			{"pending", "pending", "", nil},
			{"failed", "failed", "100", nil},
		}
		for _, tt := range tests {
			t.Run("status "+tt.name, func(t *testing.T) {
				items, _ := chargePages(t, shop, url.Values{"status": {tt.status}, "limit": {tt.limit}}, nil)
				if diff := cmp.Diff(ids(items), tt.wantIDs, cmpEmpty); diff != "" {
					t.Fatalf("ids (-got +want):\n%s", diff)
				}
			})
		}

		// The other merchant sees only its own charge, also when it pages
		// from a cursor of the first merchant's.
		theirItems, _ := chargePages(t, other, url.Values{}, nil)
		if diff := cmp.Diff(ids(theirItems), []string{theirs}); diff != "" {
			t.Fatalf("other merchant's list (-got +want):\n%s", diff)
		}
		firstPage := shop.do("GET", "/api/v1/merchant/charges?limit=2", nil).want(t, 200)
		r := other.do("GET", "/api/v1/merchant/charges?cursor="+firstPage.str("next_cursor"), nil).want(t, 200)
		if strings.Contains(r.raw, "order-") || len(r.body["items"].([]any)) > 1 {
			t.Fatalf("other merchant with a cursor of the first: %s", r.raw)
		}
		other.do("GET", "/api/v1/merchant/charges/"+mine[0].id, nil).want(t, 404, "not_found")
	})
}

// cmpEmpty makes a nil and an empty list equal.
var cmpEmpty = cmp.Transformer("empty", func(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
})

// TestMerchantChargesBadInput: each bad query is a clear 400 naming what
// is wrong, in English and Japanese; the list is the same after.
func TestMerchantChargesBadInput(t *testing.T) {
	eachWalletEnvOpts(t, walletOpts{}, func(t *testing.T, e *walletEnv) {
		shop, _ := e.merchant("Bad Input Shop")
		alice, aliceID, _ := e.user(true)
		e.fund(aliceID, 5000, 0)
		for range 3 {
			code := alice.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
			shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": 100}).want(t, 201)
		}
		before := shop.do("GET", "/api/v1/merchant/charges", nil).want(t, 200).raw
		valid := shop.do("GET", "/api/v1/merchant/charges?limit=1", nil).want(t, 200).str("next_cursor")
		enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		tests := []struct {
			name, query, wantIn string
		}{
			{"limit zero", "limit=0", "limit must be an integer from 1 to 100"},
			{"limit over 100", "limit=101", "limit must be an integer from 1 to 100"},
			{"negative limit", "limit=-5", "limit must be an integer from 1 to 100"},
			{"limit not a number", "limit=ten", "limit must be an integer from 1 to 100"},
			{"limit fraction", "limit=2.5", "limit must be an integer from 1 to 100"},
			{"cursor not base64", "cursor=%25%25%25", "invalid cursor"},
			{"cursor of another list", "cursor=" + enc("1712000000000:txn_1"), "invalid cursor"},
			{"cursor with a bad id", "cursor=" + enc("c1:1712000000000:pay_' OR 1=1 --"), "invalid cursor"},
			{"cursor with a negative time", "cursor=" + enc("c1:-1:pay_0123456789abcdef0123456789abcdef"), "invalid cursor"},
			{"cursor too long", "cursor=" + valid + strings.Repeat("A", 100), "invalid cursor"},
			{"cursor altered", "cursor=" + valid[:len(valid)-2], "invalid cursor"},
			{"unknown status", "status=refunded", "status must be one of pending, succeeded, declined, failed"},
			{"status in capitals", "status=SUCCEEDED", "status must be one of"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := shop.do("GET", "/api/v1/merchant/charges?"+tt.query, nil).want(t, 400, "invalid_request")
				e, _ := r.body["error"].(map[string]any)
				if msg, _ := e["message"].(string); !strings.Contains(msg, tt.wantIn) {
					t.Errorf("message %q, want it to contain %q", msg, tt.wantIn)
				}
				if ja, _ := e["message_ja"].(string); ja == "" {
					t.Errorf("no Japanese message: %s", r.raw)
				}
			})
		}
		if after := shop.do("GET", "/api/v1/merchant/charges", nil).want(t, 200).raw; after != before {
			t.Fatalf("list changed:\n%s\n%s", before, after)
		}
	})
}

// TestMerchantBalance: a new merchant's balance is zero and reading it
// opens no ledger account; after a charge and a partial refund it is what
// its ledger account holds.
func TestMerchantBalance(t *testing.T) {
	eachWalletEnvOpts(t, walletOpts{}, func(t *testing.T, e *walletEnv) {
		ctx := context.Background()
		shop, m := e.merchant("Balance Shop")
		alice, aliceID, _ := e.user(true)
		e.fund(aliceID, 2000, 1500)

		type balance struct {
			Available int64  `json:"available"`
			Pending   int64  `json:"pending"`
			Currency  string `json:"currency"`
		}
		read := func() balance {
			t.Helper()
			var b balance
			if err := json.Unmarshal([]byte(shop.do("GET", "/api/v1/merchant/balance", nil).want(t, 200).raw), &b); err != nil {
				t.Fatal(err)
			}
			return b
		}
		if diff := cmp.Diff(read(), balance{0, 0, "JPY"}); diff != "" {
			t.Fatalf("new merchant (-got +want):\n%s", diff)
		}
		if _, err := e.ledger.AccountByCode(ctx, "merchant:"+m.ID); err == nil {
			t.Fatal("reading the balance opened a ledger account")
		}
		code := alice.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
		id := shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": 3000}).want(t, 201).str("charge_id")
		shop.post("/api/v1/merchant/charges/"+id+"/refunds", map[string]any{"amount": 1200}).want(t, 201)
		acct, err := e.ledger.AccountByCode(ctx, "merchant:"+m.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := read()
		if diff := cmp.Diff(got, balance{1800, 0, "JPY"}); diff != "" {
			t.Fatalf("after a charge and a refund (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(got, balance{acct.Available(), acct.PendingCredits, acct.Currency}); diff != "" {
			t.Fatalf("against the ledger (-got +want):\n%s", diff)
		}
	})
}

// TestMerchantWebhookChange: PUT /api/v1/merchant/webhook moves the
// endpoint and returns a new secret; the next delivery is signed with it,
// and the old secret does not verify it. A retry with the same key
// replays the same secret (one change, one audit entry); the same key
// with another body is 422. Bad input is a clear 400 that changes
// nothing. On SQLite and PostgreSQL.
func TestMerchantWebhookChange(t *testing.T) {
	eachWalletEnvOpts(t, walletOpts{webhooks: true}, func(t *testing.T, e *walletEnv) {
		ctx := context.Background()
		oldRecv, newRecv := newHookReceiver(t), newHookReceiver(t)
		shop, m, oldSecret := e.merchantHook("Hook Change Shop", oldRecv.srv.URL+"/hooks")
		oldRecv.mu.Lock()
		oldRecv.secret = []byte(oldSecret)
		oldRecv.mu.Unlock()
		alice, aliceID, _ := e.user(true)
		e.fund(aliceID, 5000, 0)
		charge := func() {
			t.Helper()
			code := alice.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
			shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": 100}).want(t, 201)
		}
		charge()
		oldRecv.wait(t, 1)
		waitDelivered(t, e, m.ID, 1)

		// Bad input: each a clear 400, nothing changed.
		bad := []struct {
			name, key  string
			body       any
			wantCode   string
			wantFields bool
		}{
			{"no Idempotency-Key", "", map[string]any{"url": newRecv.srv.URL + "/v2"}, "idempotency_key_required", false},
			{"no url", "bad-1", map[string]any{}, "invalid_request", false},
			{"empty url", "bad-2", map[string]any{"url": ""}, "invalid_request", false},
			{"http to a remote host", "bad-3", map[string]any{"url": "http://shop.example/hooks"}, "invalid_request", false},
			{"not a URL", "bad-4", map[string]any{"url": "hooks"}, "invalid_request", false},
			{"credentials in the URL", "bad-5", map[string]any{"url": "https://u:p@shop.example/hooks"}, "invalid_request", false},
			{"unknown field", "bad-6", map[string]any{"url": "https://shop.example/hooks", "secret": "whsec_mine"}, "invalid_request", false},
			{"url not a string", "bad-7", `{"url": 5}`, "invalid_request", false},
			{"not JSON", "bad-8", `url=https://shop.example`, "invalid_request", false},
			// Found in review: saifu's own network was a valid endpoint
			// (server-side request forgery with a merchant's key).
			{"private address", "bad-9", map[string]any{"url": "https://10.0.0.1/hooks"}, "invalid_request", false},
			{"cloud metadata address", "bad-10", map[string]any{"url": "https://169.254.169.254/latest/meta-data"}, "invalid_request", false},
			{"unspecified address", "bad-11", map[string]any{"url": "https://0.0.0.0/hooks"}, "invalid_request", false},
			{"IPv6 unique local", "bad-12", map[string]any{"url": "https://[fd00::1]/hooks"}, "invalid_request", false},
			{"IPv4-mapped private", "bad-13", map[string]any{"url": "https://[::ffff:192.168.1.1]/hooks"}, "invalid_request", false},
			{"shared address space", "bad-14", map[string]any{"url": "https://100.64.0.1/hooks"}, "invalid_request", false},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				r := shop.put("/api/v1/merchant/webhook", tt.body, tt.key).want(t, 400, tt.wantCode)
				if e, _ := r.body["error"].(map[string]any); e["message"] == "" || e["message_ja"] == nil {
					t.Errorf("unclear error: %s", r.raw)
				}
			})
		}
		if u, s, err := e.merchants.WebhookEndpoint(ctx, m.ID); err != nil || u != oldRecv.srv.URL+"/hooks" || string(s) != oldSecret {
			t.Fatalf("after bad input: %q, %v", u, err)
		}
		changes := func() int {
			t.Helper()
			entries, err := audit.ByTarget(ctx, e.db, "merchant:"+m.ID, 50)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, en := range entries {
				if en.Action == "merchant.webhook_changed" {
					n++
				}
			}
			return n
		}
		if n := changes(); n != 0 {
			t.Fatalf("%d webhook changes audited after bad input", n)
		}

		// The change, and its retry.
		body := map[string]any{"url": newRecv.srv.URL + "/v2/hooks"}
		r := shop.put("/api/v1/merchant/webhook", body, "hook-1").want(t, 200)
		secret := r.str("secret")
		if r.str("url") != newRecv.srv.URL+"/v2/hooks" || !strings.HasPrefix(secret, "whsec_") || secret == oldSecret {
			t.Fatalf("PUT: %s", r.raw)
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		again := shop.put("/api/v1/merchant/webhook", body, "hook-1").want(t, 200)
		if again.str("secret") != secret || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry: %s (replayed %q)", again.raw, again.header.Get("Idempotent-Replayed"))
		}
		shop.put("/api/v1/merchant/webhook", map[string]any{"url": oldRecv.srv.URL + "/other"}, "hook-1").want(t, 422, "idempotency_key_reused")
		if n := changes(); n != 1 {
			t.Fatalf("%d webhook changes audited, want 1", n)
		}

		newRecv.mu.Lock()
		newRecv.secret = []byte(secret)
		newRecv.mu.Unlock()
		charge()
		newRecv.wait(t, 1)
		waitDelivered(t, e, m.ID, 2)
		newRecv.mu.Lock()
		d := newRecv.raw[0]
		newRecv.mu.Unlock()
		if err := webhook.Verify([]byte(secret), d.header.Get(webhook.Header), d.body, time.Now(), webhook.DefaultTolerance); err != nil {
			t.Fatalf("the new secret does not verify the delivery: %v", err)
		}
		if err := webhook.Verify([]byte(oldSecret), d.header.Get(webhook.Header), d.body, time.Now(), webhook.DefaultTolerance); err == nil {
			t.Fatal("the old secret verifies a delivery after the change")
		}
		oldRecv.mu.Lock()
		oldEvents, oldRejected := len(oldRecv.events), oldRecv.rejected
		oldRecv.mu.Unlock()
		if oldEvents != 1 || oldRejected != 0 {
			t.Fatalf("old endpoint got %d events, rejected %d, after the change; want only the first", oldEvents, oldRejected)
		}
	})
}

// TestMerchantSelfAuth: the three routes answer 401 without a merchant
// key: no header, a user's session token, a made-up key.
func TestMerchantSelfAuth(t *testing.T) {
	eachWalletEnvOpts(t, walletOpts{}, func(t *testing.T, e *walletEnv) {
		_, m := e.merchant("Auth Shop")
		alice, _, _ := e.user(false)
		callers := []struct {
			name, token string
		}{
			{"no key", ""},
			{"a user's session token", alice.token},
			{"an unknown secret key", "sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		}
		for _, c := range callers {
			a := e.agent("probe", "198.51.100.9")
			a.token = c.token
			t.Run(c.name, func(t *testing.T) {
				a.do("GET", "/api/v1/merchant/charges", nil).want(t, 401, "unauthenticated")
				a.do("GET", "/api/v1/merchant/balance", nil).want(t, 401, "unauthenticated")
				r := a.put("/api/v1/merchant/webhook", map[string]any{"url": "https://evil.example/hooks"}, "auth-"+c.name).want(t, 401, "unauthenticated")
				if r.header.Get("WWW-Authenticate") == "" {
					t.Error("no WWW-Authenticate")
				}
			})
		}
		if u, _, err := e.merchants.WebhookEndpoint(context.Background(), m.ID); err != nil || u != "" {
			t.Fatalf("endpoint after refused calls: %q, %v", u, err)
		}
	})
}
