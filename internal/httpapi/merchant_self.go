package httpapi

import (
	"net/http"
	"strconv"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// A merchant managing itself with its secret key: its charges, its
// balance, its webhook endpoint. The rules are the services' (wallet,
// merchant); these handlers only parse and render.

type chargeItemView struct {
	paymentView
	Method         string       `json:"method"` // cpm or mpm
	Refunds        []refundView `json:"refunds"`
	HasMoreRefunds bool         `json:"has_more_refunds"`
}

// GET /api/v1/merchant/charges?limit&cursor&status
func handleChargeList(svc *wallet.Service) http.Handler {
	type response struct {
		Items      []chargeItemView `json:"items"`
		NextCursor string           `json:"next_cursor"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		m, _ := merchantFrom(r)
		qs := r.URL.Query()
		q := wallet.ChargeQuery{Limit: wallet.ChargesPageDefault, Cursor: qs.Get("cursor"), Status: qs.Get("status")}
		// An empty parameter is the same as none.
		if s := qs.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return apperr.E(apperr.Invalid, "limit must be an integer from 1 to "+strconv.Itoa(wallet.ChargesPageMax)).
					JA("limit は 1〜" + strconv.Itoa(wallet.ChargesPageMax) + " の整数にしてください")
			}
			q.Limit = n
		}
		page, err := svc.Charges(r.Context(), m.ID, q)
		if err != nil {
			return err
		}
		out := response{Items: make([]chargeItemView, 0, len(page.Items)), NextCursor: page.NextCursor}
		for _, c := range page.Items {
			v := chargeItemView{paymentView: viewPayment(c.Payment, true), Method: c.Method,
				Refunds: make([]refundView, 0, len(c.Refunds)), HasMoreRefunds: c.MoreRefunds}
			for _, ref := range c.Refunds {
				v.Refunds = append(v.Refunds, viewRefund(ref))
			}
			out.Items = append(out.Items, v)
		}
		encode(w, r, http.StatusOK, out)
		return nil
	})
}

// GET /api/v1/merchant/balance
func handleMerchantBalance(svc *wallet.Service) http.Handler {
	type response struct {
		Available int64  `json:"available"`
		Pending   int64  `json:"pending"`
		Currency  string `json:"currency"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		m, _ := merchantFrom(r)
		b, err := svc.MerchantBalance(r.Context(), m.ID)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, response{Available: b.Available, Pending: b.Pending, Currency: b.Currency})
		return nil
	})
}

type webhookRequest struct {
	URL string `json:"url"`
}

// PUT /api/v1/merchant/webhook (idempotent: the new secret is replayed to
// a retry with the same key)
func handleMerchantWebhook(svc *merchant.Service) http.Handler {
	type response struct {
		URL    string `json:"url"`
		Secret string `json:"secret"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		req, err := decode[webhookRequest](r)
		if err != nil {
			return err
		}
		m, _ := merchantFrom(r)
		c := clientFrom(r)
		by := merchant.Caller{UserAgent: c.UserAgent}
		if c.IP.IsValid() {
			by.IP = c.IP.Unmap().String()
		}
		secret, err := svc.SetWebhook(r.Context(), m.ID, req.URL, by)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		encode(w, r, http.StatusOK, response{URL: req.URL, Secret: secret})
		return nil
	})
}
