package httpapi

import (
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/funding"
)

type nextActionJSON struct {
	Type string `json:"type"`
	URL  string `json:"url,omitempty"`
}

func nextActionOf(a *funding.NextAction) *nextActionJSON {
	if a == nil {
		return nil
	}
	return &nextActionJSON{Type: a.Type, URL: a.URL}
}

type cardJSON struct {
	CardID      string          `json:"card_id"`
	Brand       string          `json:"brand"`
	Last4       string          `json:"last4"`
	ExpMonth    int             `json:"exp_month"`
	ExpYear     int             `json:"exp_year"`
	Status      string          `json:"status"`
	DeclineCode string          `json:"decline_code,omitempty"`
	NextAction  *nextActionJSON `json:"next_action,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
}

func cardOut(c funding.Card) cardJSON {
	return cardJSON{CardID: c.ID, Brand: c.Brand, Last4: c.Last4, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear,
		Status: c.Status, DeclineCode: c.DeclineCode, NextAction: nextActionOf(c.NextAction), CreatedAt: c.CreatedAt}
}

type addCardRequest struct {
	CardToken string `json:"card_token"`
}

func (q *addCardRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "card_token", q.CardToken)
	return p
}

// handleAddCard: POST /api/v1/cards {card_token} → {card_id, brand, last4,
// status, next_action?} (privileged session, checked by funding; 3-D
// Secure verification).
func handleAddCard(fs *funding.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[addCardRequest](r)
		if err != nil {
			return err
		}
		c := clientFrom(r)
		card, err := fs.AddCard(r.Context(), sessionFrom(r), funding.Client{IP: c.IP.String(), DeviceID: c.DeviceID}, q.CardToken)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusCreated, cardOut(card))
		return nil
	})
}

// handleCards: GET /api/v1/cards → {items: [card…]}.
func handleCards(fs *funding.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		cards, err := fs.Cards(r.Context(), sessionFrom(r).UserID)
		if err != nil {
			return err
		}
		items := make([]cardJSON, 0, len(cards))
		for _, c := range cards {
			items = append(items, cardOut(c))
		}
		encode(w, r, http.StatusOK, map[string]any{"items": items})
		return nil
	})
}

// handleCard: GET /api/v1/cards/{id} → card (asks the acquirer while a
// 3-D Secure challenge is pending).
func handleCard(fs *funding.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		c, err := fs.Card(r.Context(), sessionFrom(r).UserID, r.PathValue("id"))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, cardOut(c))
		return nil
	})
}

// handleRemoveCard: DELETE /api/v1/cards/{id} → 204, effective at once.
func handleRemoveCard(fs *funding.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := fs.RemoveCard(r.Context(), sessionFrom(r).UserID, r.PathValue("id")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// handle3DSReturn: GET /api/v1/3ds/return?auth_id=… — where the issuer's
// challenge sends the browser back. No session: the outcome is asked of the
// acquirer, the browser only names the authentication.
func handle3DSReturn(fs *funding.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		res, err := fs.ThreeDSReturn(r.Context(), r.URL.Query().Get("auth_id"))
		if err != nil {
			return err
		}
		key := "card_id"
		if res.Kind == "topup" {
			key = "topup_id"
		}
		encode(w, r, http.StatusOK, map[string]string{"object": res.Kind, key: res.ID, "status": res.Status})
		return nil
	})
}
