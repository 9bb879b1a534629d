package ledger_test

import (
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ledger"
)

// TestDecodeRequestExactNames: a transfer request from outside names its
// fields exactly; another spelling of a field is refused, never folded
// onto it.
func TestDecodeRequestExactNames(t *testing.T) {
	const head = `{"scope":"user:1","idempotency_key":"k","transfers":[{"kind":"p2p","debit_account_id":1,"credit_account_id":2,"currency":"JPY",`
	tests := []struct {
		name        string
		body        string
		wantAmount  int64
		wantTimeout time.Duration
		wantErr     bool
	}{
		{name: "exact", body: head + `"amount":1}]}`, wantAmount: 1},
		{name: "hold timeout in nanoseconds", body: head + `"amount":1,"pending":true,"timeout":60000000000}]}`, wantAmount: 1, wantTimeout: time.Minute},
		{name: "upper-case twin", body: head + `"amount":1,"AMOUNT":7}]}`, wantErr: true},
		{name: "escaped other case", body: head + `"\u0041mount":7}]}`, wantErr: true},
		{name: "duplicate", body: head + `"amount":1,"amount":7}]}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ledger.DecodeRequest([]byte(tt.body))
			if tt.wantErr {
				if apperr.CodeOf(err) != apperr.Invalid {
					t.Fatalf("DecodeRequest = %+v, %v; want invalid_request", r, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Transfers[0]; got.Amount != tt.wantAmount || got.Timeout != tt.wantTimeout {
				t.Errorf("amount, timeout = %d, %v; want %d, %v", got.Amount, got.Timeout, tt.wantAmount, tt.wantTimeout)
			}
		})
	}
}
