package connector_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/connector"
)

// TestAnswersMatchNamesExactly: a counterpart's answer is decoded with
// exact member names: another spelling of "amount" is not the amount, a
// duplicate is a malformed answer, and members saifu does not know are
// skipped (answers may grow).
func TestAnswersMatchNamesExactly(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    connector.BankTxn
		wantErr error
	}{
		{"exact", `{"id":"tx1","amount":100}`, connector.BankTxn{ID: "tx1", Amount: 100}, nil},
		{"unknown member skipped", `{"id":"tx1","amount":100,"balance_after":900}`, connector.BankTxn{ID: "tx1", Amount: 100}, nil},
		{"upper-case twin is not the amount", `{"id":"tx1","amount":100,"AMOUNT":7}`, connector.BankTxn{ID: "tx1", Amount: 100}, nil},
		{"escaped other case is not the amount", `{"id":"tx1","\u0041mount":7}`, connector.BankTxn{ID: "tx1"}, nil},
		{"duplicate", `{"id":"tx1","amount":100,"amount":7}`, connector.BankTxn{}, connector.ErrUnavailable},
		{"trailing data", `{"id":"tx1","amount":100}{}`, connector.BankTxn{}, connector.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			bank, err := connector.NewBankClient(srv.URL, "saifu", nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := bank.Debit(context.Background(), "0001", "tok", 100, "key", "")
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("answer (-got +want):\n%s", diff)
			}
		})
	}
}
