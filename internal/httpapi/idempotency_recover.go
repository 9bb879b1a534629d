package httpapi

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// The recoverFuncs of the idempotent routes: each finishes the operation
// a dead request started (the domain's reconciler, for that operation
// only) and answers as the route's handler would have. Routes whose answer
// cannot be rebuilt (a payment code or a bank link's authorize URL: only
// their hashes are kept) have none; their requests run anew, moving no
// money.

// POST /api/v1/payments
func recoverPayment(svc *wallet.Service) recoverFunc {
	return func(w http.ResponseWriter, r *http.Request, id string) {
		if _, err := svc.ReconcilePayment(r.Context(), id); err != nil {
			writeError(w, r, err)
			return
		}
		p, err := svc.PaymentOfUser(r.Context(), sessionFrom(r).UserID, id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, r, http.StatusCreated, viewPayment(p, false))
	}
}

// POST /api/v1/merchant/charges
func recoverCharge(svc *wallet.Service) recoverFunc {
	return func(w http.ResponseWriter, r *http.Request, id string) {
		if _, err := svc.ReconcilePayment(r.Context(), id); err != nil {
			writeError(w, r, err)
			return
		}
		m, _ := merchantFrom(r)
		p, err := svc.PaymentOfMerchant(r.Context(), m.ID, id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, r, http.StatusCreated, viewPayment(p, true))
	}
}

// POST /api/v1/merchant/charges/{id}/refunds
func recoverRefund(svc *wallet.Service) recoverFunc {
	return func(w http.ResponseWriter, r *http.Request, id string) {
		m, _ := merchantFrom(r)
		ref, err := svc.ReconcileRefund(r.Context(), m.ID, id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, r, http.StatusCreated, viewRefund(ref))
	}
}

// POST /api/v1/transfers
func recoverTransfer(svc *wallet.Service) recoverFunc {
	return func(w http.ResponseWriter, r *http.Request, id string) {
		uid := sessionFrom(r).UserID
		t, err := svc.ReconcileTransfer(r.Context(), uid, id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeTransfer(w, r, t, uid)
	}
}

// POST /api/v1/topups
func recoverTopup(fs *funding.Service) recoverFunc {
	return func(w http.ResponseWriter, r *http.Request, id string) {
		t, err := fs.ReconcileTopup(r.Context(), sessionFrom(r).UserID, id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeTopup(w, r, t)
	}
}

// POST /api/v1/withdrawals
func recoverWithdrawal(fs *funding.Service) recoverFunc {
	return func(w http.ResponseWriter, r *http.Request, id string) {
		wd, err := fs.ReconcileWithdrawal(r.Context(), sessionFrom(r).UserID, id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeWithdrawal(w, r, wd)
	}
}

// POST /api/v1/cards: the card as registered (its 3-D Secure challenge,
// if any, is asked of the acquirer again).
func recoverCard(fs *funding.Service) recoverFunc {
	return func(w http.ResponseWriter, r *http.Request, id string) {
		c, err := fs.Card(r.Context(), sessionFrom(r).UserID, id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, r, http.StatusCreated, cardOut(c))
	}
}
