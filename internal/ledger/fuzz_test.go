package ledger_test

import (
	"strconv"
	"testing"

	"github.com/saifu-pay/saifu/internal/ledger"
)

// FuzzParseAmount: never panics; accepts exactly the canonical decimal
// integers in 1..AmountMax, and round-trips them.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1", "1000", "0", "-1", "01", "1.5", "1e3", " 1", "9223372036854775807", "99999999999999999999", "+5", "１２３"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ledger.ParseAmount(s)
		if err != nil {
			return
		}
		if v <= 0 || v > ledger.AmountMax {
			t.Fatalf("ParseAmount(%q) = %d, outside 1..AmountMax", s, v)
		}
		if strconv.FormatInt(v, 10) != s {
			t.Fatalf("ParseAmount(%q) = %d, not canonical", s, v)
		}
	})
}

// FuzzDecodeRequest: never panics; whatever it accepts is valid.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(`{"scope":"user:1","idempotency_key":"k","transfers":[{"kind":"p2p","debit_account_id":1,"credit_account_id":2,"amount":100,"currency":"JPY"}]}`)
	f.Add(`{"scope":"s","idempotency_key":"k","transfers":[{"kind":"payment","post_pending_id":5}]}`)
	f.Add(`{"scope":"s","idempotency_key":"k","transfers":[{"kind":"p2p","debit_account_id":1,"credit_account_id":2,"amount":-1,"currency":"JPY"}]}`)
	f.Add(`{"scope":"s","idempotency_key":"k","transfers":[{"kind":"p2p","debit_account_id":1,"credit_account_id":2,"amount":1e30,"currency":"JPY"}]}`)
	f.Add(`{"scope":"s","idempotency_key":"k","transfers":[],"extra":1}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ledger.DecodeRequest([]byte(s))
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("DecodeRequest accepted an invalid request: %v", err)
		}
		for _, tr := range r.Transfers {
			if tr.Amount < 0 || tr.Amount > ledger.AmountMax {
				t.Fatalf("accepted amount %d", tr.Amount)
			}
			if tr.PostPending == 0 && tr.VoidPending == 0 && (tr.Amount == 0 || tr.Debit == tr.Credit) {
				t.Fatalf("accepted transfer %+v", tr)
			}
		}
	})
}
