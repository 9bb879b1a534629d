package httpapi

import (
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/wallet"
)

type transferRequest struct {
	ToEmail  string `json:"to_email"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Message  string `json:"message"`
}

func (t *transferRequest) Valid() map[string]string {
	m := map[string]string{}
	if t.ToEmail == "" || len(t.ToEmail) > 254 {
		m["to_email"] = "required"
	}
	if t.Amount < 1 || t.Amount > wallet.TransferCeiling {
		m["amount"] = "must be between 1 and 1000000"
	}
	if t.Currency != "" && t.Currency != "JPY" {
		m["currency"] = "must be JPY"
	}
	if len(t.Message) > 800 {
		m["message"] = "at most 200 characters"
	}
	return m
}

type transferView struct {
	TransferID  string `json:"transfer_id"`
	Status      string `json:"status"`
	DeclineCode string `json:"decline_code,omitempty"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Direction   string `json:"direction"`
	Message     string `json:"message,omitempty"`
	CreatedAt   string `json:"created_at"`
	// HoldReason is risk_review while the risk rules hold it for review
	// (as a held withdrawal's).
	HoldReason string `json:"hold_reason,omitempty"`
}

func viewTransfer(t wallet.Transfer, userID string) transferView {
	dir := "out"
	if t.ToUser == userID {
		dir = "in"
	}
	v := transferView{TransferID: t.ID, Status: t.Status, DeclineCode: t.DeclineCode, Amount: t.Amount,
		Currency: t.Currency, Direction: dir, Message: t.Message, CreatedAt: t.CreatedAt.Format(time.RFC3339Nano)}
	if t.Status == wallet.StatusHeld {
		v.HoldReason = funding.HoldRiskReview
	}
	return v
}

// writeTransfer answers a new transfer: 202 while the risk rules hold it
// for review (as a held withdrawal), else 201.
func writeTransfer(w http.ResponseWriter, r *http.Request, t wallet.Transfer, userID string) {
	status := http.StatusCreated
	if t.Status == wallet.StatusHeld {
		status = http.StatusAccepted
	}
	encode(w, r, status, viewTransfer(t, userID))
}

// POST /api/v1/transfers
func handleTransfer(svc *wallet.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		req, err := decode[transferRequest](r)
		if err != nil {
			return err
		}
		sess := sessionFrom(r)
		t, err := svc.SendMoney(r.Context(), sess, req.ToEmail, req.Amount, req.Message)
		if err != nil {
			return err
		}
		writeTransfer(w, r, t, sess.UserID)
		return nil
	})
}

// GET /api/v1/transfers/{id}
func handleTransferGet(svc *wallet.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		uid := sessionFrom(r).UserID
		t, err := svc.TransferOfUser(r.Context(), uid, r.PathValue("id"))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, viewTransfer(t, uid))
		return nil
	})
}
