package httpapi

import (
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/funding"
)

type withdrawalJSON struct {
	WithdrawalID string     `json:"withdrawal_id"`
	Status       string     `json:"status"`
	Amount       int64      `json:"amount"`
	Currency     string     `json:"currency"`
	BankLinkID   string     `json:"bank_link_id"`
	HoldReason   string     `json:"hold_reason,omitempty"`
	ReleaseAt    *time.Time `json:"release_at,omitempty"`
	DeclineCode  string     `json:"decline_code,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

func withdrawalOut(wd funding.Withdrawal) withdrawalJSON {
	out := withdrawalJSON{WithdrawalID: wd.ID, Status: wd.Status, Amount: wd.Amount, Currency: "JPY", BankLinkID: wd.BankLinkID,
		DeclineCode: wd.DeclineCode, CreatedAt: wd.CreatedAt}
	if wd.Status == funding.WithdrawalHeld {
		t := wd.ReleaseAt
		out.HoldReason, out.ReleaseAt = wd.HoldReason, &t
	}
	return out
}

type withdrawalRequest struct {
	BankLinkID string `json:"bank_link_id"`
	Amount     int64  `json:"amount"`
	Currency   string `json:"currency"`
}

func (q *withdrawalRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "bank_link_id", q.BankLinkID)
	if q.Amount <= 0 {
		p["amount"] = "must be a positive integer"
	}
	if q.Currency != "" && q.Currency != "JPY" {
		p["currency"] = "only JPY"
	}
	return p
}

// handleWithdraw: POST /api/v1/withdrawals {bank_link_id, amount} →
// {withdrawal_id, status, release_at?} (privileged session, checked by
// funding; money only).
func handleWithdraw(fs *funding.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[withdrawalRequest](r)
		if err != nil {
			return err
		}
		wd, err := fs.Withdraw(r.Context(), sessionFrom(r), q.BankLinkID, q.Amount)
		if err != nil {
			return err
		}
		writeWithdrawal(w, r, wd)
		return nil
	})
}

// writeWithdrawal answers a new withdrawal: 202 while held or processing,
// else 201.
func writeWithdrawal(w http.ResponseWriter, r *http.Request, wd funding.Withdrawal) {
	status := http.StatusCreated
	if wd.Status == funding.WithdrawalHeld || wd.Status == funding.WithdrawalProcessing {
		status = http.StatusAccepted
	}
	encode(w, r, status, withdrawalOut(wd))
}

// handleGetWithdrawal: GET /api/v1/withdrawals/{id}.
func handleGetWithdrawal(fs *funding.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		wd, err := fs.Withdrawal(r.Context(), sessionFrom(r).UserID, r.PathValue("id"))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, withdrawalOut(wd))
		return nil
	})
}

// handleCancelWithdrawal: DELETE /api/v1/withdrawals/{id} or
// POST /api/v1/withdrawals/{id}/cancel → the cancelled withdrawal (its
// hold voided).
func handleCancelWithdrawal(fs *funding.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		wd, err := fs.CancelWithdrawal(r.Context(), sessionFrom(r).UserID, r.PathValue("id"))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, withdrawalOut(wd))
		return nil
	})
}
