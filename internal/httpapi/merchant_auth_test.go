package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/wallet/emvqr"
)

func TestMerchantQR(t *testing.T) {
	storetest.Each(t, []store.Migrations{audit.Migrations, merchant.Migrations}, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := merchant.New(db, time.Now)
		shop, key, _, err := svc.Create(ctx, "Saifu Cafe", "")
		if err != nil {
			t.Fatal(err)
		}
		other, otherKey, _, err := svc.Create(ctx, "Other Shop", "")
		if err != nil {
			t.Fatal(err)
		}
		rotated, rotatedOld, _, err := svc.Create(ctx, "Rotated Shop", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Rotate(ctx, rotated.ID); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(New(Deps{DB: db, Merchants: svc}))
		defer srv.Close()

		tests := []struct {
			name         string
			auth         string
			wantStatus   int
			wantMerchant merchant.Merchant
		}{
			{"merchant", "Bearer " + key, 200, shop},
			{"scheme in lower case", "bearer " + key, 200, shop},
			{"another merchant sees its own code", "Bearer " + otherKey, 200, other},
			{"no header", "", 401, merchant.Merchant{}},
			{"basic auth", "Basic " + key, 401, merchant.Merchant{}},
			{"unknown key", "Bearer sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 401, merchant.Merchant{}},
			{"a session-like token", "Bearer 8Jx1dV5fQm3b0iLzYH2kR9sTgP4uWcNe7AaXoB6yZqE", 401, merchant.Merchant{}},
			{"rotated-out key", "Bearer " + rotatedOld, 401, merchant.Merchant{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/merchant/qr", nil)
				if tt.auth != "" {
					req.Header.Set("Authorization", tt.auth)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				if res.StatusCode != tt.wantStatus {
					t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
				}
				if tt.wantStatus != 200 {
					var body errorBody
					if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
						t.Fatal(err)
					}
					if body.Error.Code != "unauthenticated" || res.Header.Get("WWW-Authenticate") == "" {
						t.Fatalf("error %+v, WWW-Authenticate %q", body.Error, res.Header.Get("WWW-Authenticate"))
					}
					return
				}
				var body struct {
					Payload    string `json:"payload"`
					MerchantID string `json:"merchant_id"`
				}
				if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
					t.Fatal(err)
				}
				p, err := emvqr.Parse(body.Payload)
				if err != nil {
					t.Fatalf("payload %q does not parse: %v", body.Payload, err)
				}
				if p.MerchantID != tt.wantMerchant.EMVID || p.Name != tt.wantMerchant.Name || body.MerchantID != tt.wantMerchant.ID || p.Dynamic() {
					t.Fatalf("payload %+v for %+v", p, tt.wantMerchant)
				}
				// The code leads the wallet back to this merchant.
				if got, err := svc.GetByEMVID(ctx, p.MerchantID); err != nil || got.ID != tt.wantMerchant.ID {
					t.Fatalf("GetByEMVID = %+v, %v", got, err)
				}
			})
		}

		// Another method on the route is not served (the catch-all answers 404).
		res, err := http.Post(srv.URL+"/api/v1/merchant/qr", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("POST status = %d, want 404", res.StatusCode)
		}
	})
}
