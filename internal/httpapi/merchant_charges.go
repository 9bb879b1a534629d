package httpapi

import (
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/wallet"
)

type chargeRequest struct {
	PaymentCode string `json:"payment_code"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	OrderID     string `json:"order_id"`
}

func (c *chargeRequest) Valid() map[string]string {
	m := map[string]string{}
	if c.PaymentCode == "" || len(c.PaymentCode) > 64 {
		m["payment_code"] = "required"
	}
	if c.Amount < 1 || c.Amount > wallet.TransferCeiling {
		m["amount"] = "must be between 1 and 1000000"
	}
	if c.Currency != "" && c.Currency != "JPY" {
		m["currency"] = "must be JPY"
	}
	if len(c.OrderID) > 64 {
		m["order_id"] = "at most 64 bytes"
	}
	return m
}

// POST /api/v1/merchant/charges (CPM)
func handleCharge(svc *wallet.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		req, err := decode[chargeRequest](r)
		if err != nil {
			return err
		}
		m, _ := merchantFrom(r)
		p, err := svc.Charge(r.Context(), m, req.PaymentCode, req.Amount, req.OrderID)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusCreated, viewPayment(p, true))
		return nil
	})
}

// GET /api/v1/merchant/charges/{id}
func handleChargeGet(svc *wallet.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		m, _ := merchantFrom(r)
		p, err := svc.PaymentOfMerchant(r.Context(), m.ID, r.PathValue("id"))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, viewPayment(p, true))
		return nil
	})
}

type refundRequest struct {
	Amount int64 `json:"amount"`
}

func (q *refundRequest) Valid() map[string]string {
	if q.Amount < 1 || q.Amount > wallet.TransferCeiling {
		return map[string]string{"amount": "must be between 1 and 1000000"}
	}
	return nil
}

type refundView struct {
	RefundID  string `json:"refund_id"`
	ChargeID  string `json:"charge_id"`
	Status    string `json:"status"`
	Amount    int64  `json:"amount"`
	MoneyLite int64  `json:"money_lite"`
	Money     int64  `json:"money"`
	CreatedAt string `json:"created_at"`
}

func viewRefund(ref wallet.Refund) refundView {
	return refundView{RefundID: ref.ID, ChargeID: ref.PaymentID, Status: ref.Status,
		Amount: ref.Amount, MoneyLite: ref.LiteAmount, Money: ref.MoneyAmount, CreatedAt: ref.CreatedAt.Format(time.RFC3339Nano)}
}

// POST /api/v1/merchant/charges/{id}/refunds
func handleRefund(svc *wallet.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		req, err := decode[refundRequest](r)
		if err != nil {
			return err
		}
		m, _ := merchantFrom(r)
		ref, err := svc.RefundPayment(r.Context(), m, r.PathValue("id"), req.Amount)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusCreated, viewRefund(ref))
		return nil
	})
}
