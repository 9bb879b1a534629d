package web_test

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/chromedp/chromedp"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// writeY4M writes img as a one-frame Y4M video (4:2:0, grey: the chroma
// planes are neutral), which Chromium's fake camera plays in a loop.
func writeY4M(t *testing.T, path string, img *image.Gray) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := bufio.NewWriter(f)
	fmt.Fprintf(out, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\nFRAME\n", w, h)
	for y := 0; y < h; y++ {
		out.Write(img.Pix[y*img.Stride : y*img.Stride+w])
	}
	chroma := make([]byte, (w/2)*(h/2))
	for i := range chroma {
		chroma[i] = 128
	}
	out.Write(chroma) // U
	out.Write(chroma) // V
	if err := out.Flush(); err != nil {
		t.Fatal(err)
	}
}

// qrFrame is a 640×480 camera frame of a QR code of content held in front
// of a grey wall.
func qrFrame(t *testing.T, content string) *image.Gray {
	t.Helper()
	c, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	if c, err = barcode.Scale(c, 360, 360); err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 640, 480))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.Gray{Y: 120}}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(120, 40, 520, 440), &image.Uniform{color.White}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(140, 60, 500, 420), c, image.Point{}, draw.Src)
	return img
}

// TestBrowserPayMerchantByCamera: in a real Chromium whose camera is
// Chromium's fake capture device playing a video of a shop's QR code
// (asked of the merchant's side of the JSON API), a person opens the
// scan page, starts the camera, and scan.js reads the code with jsQR;
// they type the amount, the confirmation shows the shop's name and the
// amount, and they pay. A photo of the code, uploaded, is read too.
func TestBrowserPayMerchantByCamera(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	payload := e.shopQR(t, "山田商店")
	video := filepath.Join(t.TempDir(), "qr.y4m")
	writeY4M(t, video, qrFrame(t, payload))
	ctx := chromeWith(t, 360,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", video),
	)
	email, pw := "camera@example.com", "correct horse battery"
	u := e.srv.URL
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return v
	}
	browserSignUp(&chromium{t: t, ctx: ctx, width: 360}, e, u, email, pw)
	user, err := e.app.Identity.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	e.fund(t, user.ID, 3000)

	run("the scan page",
		chromedp.Navigate(u+"/pay"),
		chromedp.Click(chromedp.CSS(`a[href="/pay/merchant"]`)),
		chromedp.WaitVisible(chromedp.CSS("#camera-start")),
	)
	checkPage(t, ctx, "the scan page", 360)
	run("scan with the camera",
		chromedp.Click(chromedp.CSS("#camera-start")),
		chromedp.WaitVisible(chromedp.CSS("#amount")),
	)
	if name := text("#merchant-name"); name != "山田商店" {
		t.Errorf("the amount page names %q, want 山田商店", name)
	}
	checkPage(t, ctx, "the amount page", 360)
	run("type the amount",
		chromedp.SendKeys(chromedp.CSS("#amount"), "850"),
		chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#pay-amount")),
	)
	if name, amount := text("#merchant-name"), text("#pay-amount"); name != "山田商店" || amount != "850円" {
		t.Errorf("the confirmation shows %q, %q; want 山田商店, 850円", name, amount)
	}
	checkPage(t, ctx, "the confirmation", 360)
	run("pay",
		chromedp.Click(chromedp.CSS("form.cta button")),
		chromedp.WaitVisible(chromedp.CSS("#receipt-amount")),
	)
	if amount := text("#receipt-amount"); amount != "850円" {
		t.Errorf("the receipt shows %q, want 850円", amount)
	}
	checkPage(t, ctx, "the receipt", 360)
	if bal, err := e.app.Wallet.Balance(context.Background(), user.ID); err != nil || bal.Total != 2150 {
		t.Errorf("balance after paying 850 = %+v (%v), want 2,150", bal.Total, err)
	}
	if p, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`)); !strings.HasPrefix(p, "/payments/") {
		t.Errorf("the receipt is at %s", p)
	}

	// A photo of the code, chosen in the file field, is read on the server.
	photo := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(photo, qrPNG(t, payload), 0o644); err != nil {
		t.Fatal(err)
	}
	run("upload a photo of the code",
		chromedp.Navigate(u+"/pay/merchant"),
		chromedp.SetUploadFiles(chromedp.CSS("#photo"), []string{photo}),
		chromedp.Click(chromedp.CSS(`form[action="/pay/merchant/photo"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#amount")),
	)
	if name := text("#merchant-name"); name != "山田商店" {
		t.Errorf("after the photo the amount page names %q, want 山田商店", name)
	}
}
