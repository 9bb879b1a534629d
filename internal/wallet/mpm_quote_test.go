package wallet_test

import (
	"context"
	"testing"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/wallet"
	"github.com/saifu-pay/saifu/internal/wallet/emvqr"
)

// TestQuoteQR: a merchant-presented code read for the payer's
// confirmation names the merchant as saifu knows it and the amount (the
// dynamic code's own, or the one typed for a static code); what PayQR
// would refuse is refused, and nothing is paid. PayeeName names a
// payment's merchant.
func TestQuoteQR(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		m := e.shop(t)
		static, err := merchant.StaticPayload(m)
		if err != nil {
			t.Fatal(err)
		}
		dynamic, err := emvqr.Build(emvqr.MerchantPayload{MerchantID: m.EMVID, Name: "Shop", City: "Tokyo", MCC: "5411", Amount: 1200})
		if err != nil {
			t.Fatal(err)
		}
		unknown, err := emvqr.Build(emvqr.MerchantPayload{MerchantID: "nobody", Name: "Shop", City: "Tokyo", MCC: "5411"})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name     string
			payload  string
			amount   int64
			want     wallet.QRQuote
			wantCode apperr.Code
		}{
			{name: "static, amount still to type", payload: static, want: wallet.QRQuote{MerchantName: "Shop"}},
			{name: "static with an amount", payload: static, amount: 500, want: wallet.QRQuote{MerchantName: "Shop", Amount: 500}},
			{name: "dynamic", payload: dynamic, want: wallet.QRQuote{MerchantName: "Shop", Amount: 1200, Fixed: true}},
			{name: "dynamic, same amount", payload: dynamic, amount: 1200, want: wallet.QRQuote{MerchantName: "Shop", Amount: 1200, Fixed: true}},
			{name: "dynamic, another amount", payload: dynamic, amount: 1, wantCode: apperr.Invalid},
			{name: "static, amount over the ceiling", payload: static, amount: wallet.TransferCeiling + 1, wantCode: apperr.Invalid},
			{name: "unknown merchant", payload: unknown, wantCode: apperr.Invalid},
			{name: "a broken checksum", payload: static[:len(static)-1] + "0", wantCode: apperr.Invalid},
			{name: "not a code", payload: "hello", wantCode: apperr.Invalid},
		}
		if name, err := e.wallet.PayeeName(ctx, wallet.Payment{MerchantID: m.ID}); err != nil || name != "Shop" {
			t.Errorf("PayeeName = %q, %v; want Shop", name, err)
		}
		if _, err := e.wallet.PayeeName(ctx, wallet.Payment{MerchantID: "mer_nobody"}); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("PayeeName of no merchant: err = %v, want not found", err)
		}
		for _, tt := range tests {
			got, err := e.wallet.QuoteQR(ctx, tt.payload, tt.amount)
			if (tt.wantCode == "" && err != nil) || (tt.wantCode != "" && apperr.CodeOf(err) != tt.wantCode) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantCode)
				continue
			}
			if got != tt.want {
				t.Errorf("%s: quote = %+v, want %+v", tt.name, got, tt.want)
			}
		}
	})
}
