package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// paymentView is a payment as users and merchants see it.
type paymentView struct {
	PaymentID   string `json:"payment_id,omitempty"`
	ChargeID    string `json:"charge_id,omitempty"`
	Status      string `json:"status"`
	DeclineCode string `json:"decline_code,omitempty"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	MoneyLite   int64  `json:"money_lite"`
	Money       int64  `json:"money"`
	Refunded    int64  `json:"refunded"`
	OrderID     string `json:"order_id,omitempty"`
	CreatedAt   string `json:"created_at"`
}

func viewPayment(p wallet.Payment, asCharge bool) paymentView {
	v := paymentView{Status: p.Status, DeclineCode: p.DeclineCode, Amount: p.Amount, Currency: p.Currency,
		MoneyLite: p.LiteAmount, Money: p.MoneyAmount, Refunded: p.Refunded, OrderID: p.OrderID,
		CreatedAt: p.CreatedAt.Format(time.RFC3339Nano)}
	if asCharge {
		v.ChargeID = p.ID
	} else {
		v.PaymentID = p.ID
	}
	return v
}

// GET /api/v1/wallet
func handleWallet(svc *wallet.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		b, err := svc.Balance(r.Context(), sessionFrom(r).UserID)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, b)
		return nil
	})
}

// GET /api/v1/wallet/transactions?limit&cursor
func handleTransactions(svc *wallet.Service) http.Handler {
	type response struct {
		Items      []wallet.Transaction `json:"items"`
		NextCursor string               `json:"next_cursor"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		limit := 20
		if s := r.URL.Query().Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 100 {
				return apperr.E(apperr.Invalid, "limit must be 1-100").JA("limit は 1〜100 にしてください")
			}
			limit = n
		}
		items, next, err := svc.Transactions(r.Context(), sessionFrom(r).UserID, limit, r.URL.Query().Get("cursor"))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, response{Items: items, NextCursor: next})
		return nil
	})
}

// GET /api/v1/notifications
func handleNotifications(svc *wallet.Service) http.Handler {
	type response struct {
		Items []wallet.Notification `json:"items"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		items, err := svc.Notifications(r.Context(), sessionFrom(r).UserID, 100)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, response{Items: items})
		return nil
	})
}

type kycRequest struct {
	FullName      string `json:"full_name"`
	BirthDate     string `json:"birth_date"`
	DocumentToken string `json:"document_token"`
}

func (k *kycRequest) Valid() map[string]string {
	p := map[string]string{}
	if k.FullName == "" || len(k.FullName) > 200 {
		p["full_name"] = "required, at most 200 bytes"
	}
	if _, err := time.Parse("2006-01-02", k.BirthDate); err != nil {
		p["birth_date"] = "must be YYYY-MM-DD"
	}
	if k.DocumentToken == "" || len(k.DocumentToken) > 200 {
		p["document_token"] = "required, at most 200 bytes"
	}
	return p
}

// POST /api/v1/kyc
func handleKYC(svc *wallet.Service) http.Handler {
	type response struct {
		KYCStatus string `json:"kyc_status"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		req, err := decode[kycRequest](r)
		if err != nil {
			return err
		}
		st, err := svc.SubmitKYC(r.Context(), sessionFrom(r).UserID, req.FullName, req.BirthDate, req.DocumentToken)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, response{KYCStatus: st})
		return nil
	})
}

// POST /api/v1/payment-codes
func handlePaymentCode(svc *wallet.Service) http.Handler {
	type response struct {
		Code      string    `json:"code"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		code, exp, err := svc.IssuePaymentCode(r.Context(), sessionFrom(r))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusCreated, response{Code: code, ExpiresAt: exp})
		return nil
	})
}

type payRequest struct {
	MerchantQR string `json:"merchant_qr"`
	Amount     int64  `json:"amount"`
	Currency   string `json:"currency"`
}

func (p *payRequest) Valid() map[string]string {
	m := map[string]string{}
	if p.MerchantQR == "" || len(p.MerchantQR) > 2048 {
		m["merchant_qr"] = "required"
	}
	if p.Amount < 0 || p.Amount > wallet.TransferCeiling {
		m["amount"] = "must be between 1 and 1000000"
	}
	if p.Currency != "" && p.Currency != "JPY" {
		m["currency"] = "must be JPY"
	}
	return m
}

// POST /api/v1/payments (MPM)
func handlePay(svc *wallet.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		req, err := decode[payRequest](r)
		if err != nil {
			return err
		}
		p, err := svc.PayQR(r.Context(), sessionFrom(r), req.MerchantQR, req.Amount)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusCreated, viewPayment(p, false))
		return nil
	})
}

// GET /api/v1/payments/{id}
func handlePaymentGet(svc *wallet.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		p, err := svc.PaymentOfUser(r.Context(), sessionFrom(r).UserID, r.PathValue("id"))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, viewPayment(p, false))
		return nil
	})
}
