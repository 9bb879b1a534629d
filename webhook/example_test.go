package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/webhook"
)

// A merchant's endpoint verifies the signature over the raw body before it
// trusts anything in it.
func Example() {
	secret := []byte("whsec_example")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(secret, r.Header.Get(webhook.Header), body, time.Now(), webhook.DefaultTolerance); err != nil {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		fmt.Println("accepted:", string(body))
	})

	body := `{"type":"charge.succeeded","charge_id":"ch_1"}`
	for _, key := range [][]byte{secret, []byte("whsec_forged")} {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/saifu", strings.NewReader(body))
		req.Header.Set(webhook.Header, webhook.Sign(key, time.Now(), []byte(body)))
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// accepted: {"type":"charge.succeeded","charge_id":"ch_1"}
	// 200
	// 400
}
