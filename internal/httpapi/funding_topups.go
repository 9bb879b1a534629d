package httpapi

import (
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/funding"
)

type topupSource struct {
	Type       string `json:"type"`
	CardID     string `json:"card_id,omitempty"`
	BankLinkID string `json:"bank_link_id,omitempty"`
}

type topupJSON struct {
	TopupID     string      `json:"topup_id"`
	Status      string      `json:"status"`
	Amount      int64       `json:"amount"`
	Currency    string      `json:"currency"`
	Balance     string      `json:"balance"` // "money_lite" or "money"
	Source      topupSource `json:"source"`
	DeclineCode string      `json:"decline_code,omitempty"`
	// HoldReason says why a held top-up waits: risk_review (a person).
	HoldReason string          `json:"hold_reason,omitempty"`
	NextAction *nextActionJSON `json:"next_action,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
}

func topupOut(t funding.Topup) topupJSON {
	out := topupJSON{TopupID: t.ID, Status: t.Status, Amount: t.Amount, Currency: "JPY", Source: topupSource{Type: t.SourceType},
		DeclineCode: t.DeclineCode, NextAction: nextActionOf(t.NextAction), CreatedAt: t.CreatedAt}
	if t.Status == funding.StatusHeld {
		out.HoldReason = funding.HoldRiskReview
	}
	if t.SourceType == funding.SourceCard {
		out.Source.CardID, out.Balance = t.SourceID, "money_lite"
	} else {
		out.Source.BankLinkID, out.Balance = t.SourceID, "money"
	}
	return out
}

type topupRequest struct {
	Source   topupSource `json:"source"`
	Amount   int64       `json:"amount"`
	Currency string      `json:"currency"`
}

func (q *topupRequest) Valid() map[string]string {
	p := map[string]string{}
	switch q.Source.Type {
	case funding.SourceCard:
		required(p, "source.card_id", q.Source.CardID)
		if q.Source.BankLinkID != "" {
			p["source.bank_link_id"] = "not allowed with a card"
		}
	case funding.SourceBank:
		required(p, "source.bank_link_id", q.Source.BankLinkID)
		if q.Source.CardID != "" {
			p["source.card_id"] = "not allowed with a bank"
		}
	default:
		p["source.type"] = `must be "card" or "bank"`
	}
	if q.Amount <= 0 {
		p["amount"] = "must be a positive integer"
	}
	if q.Currency != "" && q.Currency != "JPY" {
		p["currency"] = "only JPY"
	}
	return p
}

// handleTopup: POST /api/v1/topups {source, amount} → {topup_id, status, …}.
// A card tops up money lite (3-D Secure when the acquirer or saifu's rules
// ask: funding decides from the session), a bank tops up money.
func handleTopup(fs *funding.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[topupRequest](r)
		if err != nil {
			return err
		}
		sess := sessionFrom(r)
		var t funding.Topup
		if q.Source.Type == funding.SourceCard {
			t, err = fs.CardTopup(r.Context(), sess, q.Source.CardID, q.Amount)
		} else {
			t, err = fs.BankTopup(r.Context(), sess, q.Source.BankLinkID, q.Amount)
		}
		if err != nil {
			return err
		}
		writeTopup(w, r, t)
		return nil
	})
}

// writeTopup answers a new top-up: 202 while processing, else 201.
func writeTopup(w http.ResponseWriter, r *http.Request, t funding.Topup) {
	status := http.StatusCreated
	if t.Status == funding.StatusProcessing || t.Status == funding.StatusHeld {
		status = http.StatusAccepted
	}
	encode(w, r, status, topupOut(t))
}

// handleGetTopup: GET /api/v1/topups/{id} → top-up (finishing it when its
// 3-D Secure challenge has ended).
func handleGetTopup(fs *funding.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		t, err := fs.Topup(r.Context(), sessionFrom(r).UserID, r.PathValue("id"))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, topupOut(t))
		return nil
	})
}
