package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/wallet"
	"github.com/saifu-pay/saifu/internal/wallet/emvqr"
)

// shopQR makes a merchant and asks the merchant's side of the JSON API
// (its secret key) for its merchant-presented QR payload; the code
// prints "TEST SHOP", and the pages must show saifu's name of it.
func (e *env) shopQR(t *testing.T, name string) string {
	t.Helper()
	_, key, _, err := e.app.Merchants.Create(context.Background(), name, "", merchant.WithNameEN("TEST SHOP"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/merchant/qr", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Payload string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 || out.Payload == "" {
		t.Fatalf("GET /api/v1/merchant/qr = %d, %v", res.StatusCode, err)
	}
	return out.Payload
}

var fundSeq atomic.Int64

// fund credits the user's money lite through the real ledger, as a card
// top-up does.
func (e *env) fund(t *testing.T, uid string, lite int64) {
	t.Helper()
	ctx := context.Background()
	_, l, err := e.app.Wallet.Accounts(ctx, uid)
	if err != nil {
		t.Fatal(err)
	}
	acq, err := e.app.Wallet.SystemAccount(ctx, wallet.SystemCardAcquirer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Ledger.Commit(ctx, ledger.Request{Scope: "test", Key: fmt.Sprintf("fund:%s:%d", uid, fundSeq.Add(1)),
		Transfers: []ledger.Transfer{{Kind: "topup", Debit: acq.ID, Credit: l.ID, Amount: lite, Currency: "JPY"}}}); err != nil {
		t.Fatal(err)
	}
}

// qrPNG is a PNG photo of a QR code of content.
func qrPNG(t *testing.T, content string) []byte {
	t.Helper()
	c, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	if c, err = barcode.Scale(c, 400, 400); err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 560, 560))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.White}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(80, 80, 480, 480), c, image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload posts a photo to the photo form, with the browser's CSRF token.
func (b *browser) upload(path string, photo []byte) answer {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", b.csrf)
	fw, _ := mw.CreateFormFile("photo", "qr.png")
	fw.Write(photo)
	mw.Close()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

var keyFieldRE = regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`)

// TestPayMerchantCode: a person pays a shop's static code pasted as text
// and from a photo: the amount is typed, the confirmation shows the
// shop's name and the amount, and a double submit of the confirmation is
// one payment. A broken code, an amount that is no number, a photo
// without a code, another user's receipt, the same key for another
// amount and a post without the CSRF token are refused and move nothing.
func TestPayMerchantCode(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		b, uid := signedInUser(t, e, "mpm@example.com")
		e.fund(t, uid, 5000)
		payload := e.shopQR(t, "山田商店")
		if a := b.get("/pay"); !strings.Contains(a.body, `href="/pay/merchant"`) {
			t.Errorf("the pay page has no link to scan a shop's code")
		}
		scan := b.get("/pay/merchant")
		if scan.status != 200 || !strings.Contains(scan.body, `action="/pay/merchant/photo"`) || !strings.Contains(scan.header.Get("Permissions-Policy"), "camera=(self)") {
			t.Fatalf("scan page = %d, %q:\n%s", scan.status, scan.header.Get("Permissions-Policy"), scan.body)
		}
		if !regexp.MustCompile(`<section [^>]*id="camera"[^>]* hidden>`).MatchString(scan.body) {
			t.Errorf("without JavaScript the camera section shows")
		}
		if p := b.get("/").header.Get("Permissions-Policy"); !strings.Contains(p, "camera=()") {
			t.Errorf("home allows the camera: %q", p)
		}

		if a := b.post("/pay/merchant", url.Values{"payload": {payload[:len(payload)-1] + "X"}}); a.status != 400 || !strings.Contains(a.body, `role="alert"`) {
			t.Errorf("a broken code = %d, want 400 with the reason", a.status)
		}
		amount := b.post("/pay/merchant", url.Values{"payload": {payload}})
		if amount.status != 200 || !strings.Contains(amount.body, "山田商店") || !strings.Contains(amount.body, `name="amount"`) {
			t.Fatalf("a static code = %d, want the amount form with the shop's name:\n%s", amount.status, amount.body)
		}
		if a := b.post("/pay/merchant", url.Values{"payload": {payload}, "amount": {"twelve"}}); a.status != 400 || !strings.Contains(a.body, "金額は数字") {
			t.Errorf("an amount that is no number = %d", a.status)
		}
		confirm := b.post("/pay/merchant", url.Values{"payload": {payload}, "amount": {"1,200"}})
		if confirm.status != 200 || !strings.Contains(confirm.body, "山田商店") || !strings.Contains(confirm.body, "1,200円") {
			t.Fatalf("confirmation = %d:\n%s", confirm.status, confirm.body)
		}
		key := keyFieldRE.FindStringSubmatch(confirm.body)
		if key == nil {
			t.Fatalf("the confirmation has no idempotency key:\n%s", confirm.body)
		}
		form := url.Values{"payload": {payload}, "amount": {"1200"}, "idempotency_key": {key[1]}}
		if a := b.post("/pay/merchant/pay", url.Values{"payload": {payload}, "amount": {"1200"}, "idempotency_key": {key[1]}, "csrf": {"forged"}}); a.status != 403 {
			t.Errorf("a payment without the CSRF token = %d, want 403", a.status)
		}
		paid := b.post("/pay/merchant/pay", form)
		if !strings.HasPrefix(paid.path, "/payments/pay_") || !strings.Contains(paid.body, "支払いました") || !strings.Contains(paid.body, "1,200円") || !strings.Contains(paid.body, "山田商店") {
			t.Fatalf("payment ended on %s (%d):\n%s", paid.path, paid.status, paid.body)
		}
		form.Del("csrf")
		if again := b.post("/pay/merchant/pay", form); again.path != paid.path {
			t.Errorf("a double submit ended on %s, want the first payment's %s", again.path, paid.path)
		}
		form.Del("csrf")
		form.Set("amount", "1300")
		if a := b.post("/pay/merchant/pay", form); a.status != 422 {
			t.Errorf("the key for another amount = %d, want 422", a.status)
		}
		if bal, err := e.app.Wallet.Balance(context.Background(), uid); err != nil || bal.Total != 3800 {
			t.Errorf("balance after one payment of 1,200 = %+v (%v), want 3,800", bal, err)
		}

		// A photo of the code, read on the server.
		if a := b.upload("/pay/merchant/photo", []byte("not a picture")); a.status != 400 || !strings.Contains(a.body, `role="alert"`) {
			t.Errorf("a file that is no picture = %d", a.status)
		}
		if a := b.upload("/pay/merchant/photo", bytes.Repeat([]byte{0xff}, 11<<20)); a.status != 413 || !strings.Contains(a.body, "10MB") {
			t.Errorf("an 11 MB photo = %d, want 413 with the bound", a.status)
		}
		b.get("/pay/merchant")
		if a := b.upload("/pay/merchant/photo", qrPNG(t, payload)); a.status != 200 || !strings.Contains(a.body, "山田商店") || !strings.Contains(a.body, `name="amount"`) {
			t.Fatalf("a photo of the code = %d:\n%s", a.status, a.body)
		}

		other, _ := signedInUser(t, e, "other-mpm@example.com")
		if a := other.get(paid.path); a.status != 404 {
			t.Errorf("another user's receipt = %d, want 404", a.status)
		}
	})
}

// TestPayDynamicMerchantCode: a code that carries its amount goes
// straight to the confirmation with that amount, and the payment cannot
// be made for another.
func TestPayDynamicMerchantCode(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	b, uid := signedInUser(t, e, "dynamic@example.com")
	e.fund(t, uid, 5000)
	m, _, _, err := e.app.Merchants.Create(context.Background(), "Corner Cafe", "")
	if err != nil {
		t.Fatal(err)
	}
	payload, err := emvqr.Build(emvqr.MerchantPayload{MerchantID: m.EMVID, Name: "Corner Cafe", City: "Tokyo", MCC: "5814", Amount: 2480})
	if err != nil {
		t.Fatal(err)
	}
	b.get("/pay/merchant")
	confirm := b.post("/pay/merchant", url.Values{"payload": {payload}})
	if confirm.status != 200 || !strings.Contains(confirm.body, "Corner Cafe") || !strings.Contains(confirm.body, "2,480円") || strings.Contains(confirm.body, `id="amount"`) {
		t.Fatalf("a dynamic code = %d, want its confirmation:\n%s", confirm.status, confirm.body)
	}
	key := keyFieldRE.FindStringSubmatch(confirm.body)[1]
	if a := b.post("/pay/merchant/pay", url.Values{"payload": {payload}, "amount": {"100"}, "idempotency_key": {key + "x"}}); a.status != 400 {
		t.Errorf("paying a dynamic code another amount = %d, want 400", a.status)
	}
	if a := b.post("/pay/merchant/pay", url.Values{"payload": {payload}, "amount": {"2480"}, "idempotency_key": {key}}); !strings.Contains(a.body, "2,480円") || !strings.HasPrefix(a.path, "/payments/") {
		t.Fatalf("payment ended on %s (%d)", a.path, a.status)
	}
	if bal, err := e.app.Wallet.Balance(context.Background(), uid); err != nil || bal.Total != 5000-2480 {
		t.Errorf("balance = %d (%v), want %d", bal.Total, err, 5000-2480)
	}
}

// TestPayMerchantCodeAnswerLost: the payment's answer is lost after the
// ledger moved the money (the server failed before answering); the
// person submits the same confirmation again and is shown that payment —
// the money moved once.
func TestPayMerchantCodeAnswerLost(t *testing.T) {
	var failOnce atomic.Bool
	e := newEnvWith(t, storetest.Open(t, store.SQLite, app.Migrations()...), func(c *app.Config) {
		c.Fault = func(point, _ string) error {
			if point == wallet.FaultPaymentAfterLedger && failOnce.CompareAndSwap(true, false) {
				return fmt.Errorf("a simulated crash at %s", point)
			}
			return nil
		}
	})
	b, uid := signedInUser(t, e, "lost@example.com")
	e.fund(t, uid, 5000)
	payload := e.shopQR(t, "山田商店")
	confirm := b.post("/pay/merchant", url.Values{"payload": {payload}, "amount": {"1200"}})
	key := keyFieldRE.FindStringSubmatch(confirm.body)
	if key == nil {
		t.Fatalf("no confirmation:\n%s", confirm.body)
	}
	form := url.Values{"payload": {payload}, "amount": {"1200"}, "idempotency_key": {key[1]}}
	failOnce.Store(true)
	if a := b.post("/pay/merchant/pay", form); a.status < 500 {
		t.Fatalf("the failed payment answered %d (%s)", a.status, a.path)
	}
	form.Del("csrf")
	again := b.post("/pay/merchant/pay", form)
	if !strings.HasPrefix(again.path, "/payments/pay_") || !strings.Contains(again.body, "1,200円") {
		t.Fatalf("the retry ended on %s (%d):\n%s", again.path, again.status, again.body)
	}
	if bal, err := e.app.Wallet.Balance(context.Background(), uid); err != nil || bal.Total != 3800 {
		t.Errorf("balance after the retry = %d (%v), want 3,800: one payment", bal.Total, err)
	}
}
