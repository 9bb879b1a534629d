package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/funding"
)

type topupData struct {
	Links []funding.BankLink // active ones
	Cards []funding.Card     // active ones
	// Source and Amount refill the form (after a refusal or a step-up).
	Source, Amount string
	// Card is the status of the card just registered ("" for none).
	Card string
	// CardEntry: the acquirer's card-entry page is there.
	CardEntry bool
	Key       string
}

// topupForm: GET /topup — top up from a linked bank (into money) or a
// registered card (into money lite), and add a card.
func (s *server) topupForm(w http.ResponseWriter, r *http.Request) error {
	return s.topupWith(w, r, nil)
}

func (s *server) topupWith(w http.ResponseWriter, r *http.Request, formErr error) error {
	if err := s.fundingOn(); err != nil {
		return err
	}
	ctx, uid := r.Context(), stateOf(r).sess.UserID
	links, err := s.d.Funding.BankLinks(ctx, uid)
	if err != nil {
		return err
	}
	cards, err := s.d.Funding.Cards(ctx, uid)
	if err != nil {
		return err
	}
	d := topupData{CardEntry: s.d.CardEntryURL != "", Key: formKey(r)}
	for _, l := range links {
		if l.Status == funding.LinkActive {
			d.Links = append(d.Links, l)
		}
	}
	for _, c := range cards {
		if c.Status == funding.CardActive {
			d.Cards = append(d.Cards, c)
		}
	}
	q := r.URL.Query()
	d.Source, d.Amount = q.Get("source"), q.Get("amount")
	if r.Method == http.MethodPost && r.URL.Path == "/topup" {
		d.Source, d.Amount = formValue(r, "source"), formValue(r, "amount")
	}
	switch q.Get("card") {
	case funding.CardActive, funding.CardDeclined, funding.CardRequiresAction, funding.CardRemoved:
		d.Card = q.Get("card")
	}
	if formErr != nil {
		return s.formError(w, r, "topup", "topup.title", d, formErr)
	}
	s.render(w, r, http.StatusOK, "topup", "topup.title", d, "")
	return nil
}

// topup: POST /topup {source: "bank:ID" | "card:ID", amount,
// idempotency_key} — funding tops up (limits, the risk rules and step-up
// are its rules); the browser goes to the top-up's page, or first to
// the issuer's challenge when 3-D Secure asks for one.
func (s *server) topup(w http.ResponseWriter, r *http.Request) error {
	if err := s.fundingOn(); err != nil {
		return err
	}
	st := stateOf(r)
	kind, id, _ := strings.Cut(formValue(r, "source"), ":")
	amount := parseYen(formValue(r, "amount"))
	err := s.once(w, r, func(ctx context.Context) (string, error) {
		var t funding.Topup
		var err error
		switch kind {
		case funding.SourceBank:
			t, err = s.d.Funding.BankTopup(ctx, st.sess, id, amount)
		case funding.SourceCard:
			t, err = s.d.Funding.CardTopupFrom(ctx, st.sess, s.client(r), id, amount)
		default:
			err = apperr.E(apperr.Invalid, "choose where to top up from").JA("チャージ元を選んでください")
		}
		return "/topups/" + url.PathEscape(t.ID), err
	}, func(ctx context.Context, id string) (string, error) {
		t, err := s.d.Funding.ReconcileTopup(ctx, st.sess.UserID, id)
		return "/topups/" + url.PathEscape(t.ID), err
	})
	if err == nil {
		return nil
	}
	if asked, perr := s.proveFirst(w, r, err, "/topup?"+url.Values{"source": {formValue(r, "source")}, "amount": {formValue(r, "amount")}}.Encode()); asked {
		return perr
	}
	forgetKeyIfReused(r, err)
	return s.topupWith(w, r, err)
}

// topupShow: GET /topups/{id} — how a top-up went; one waiting for its
// 3-D Secure challenge sends the browser to it.
func (s *server) topupShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.fundingOn(); err != nil {
		return err
	}
	t, err := s.d.Funding.Topup(r.Context(), stateOf(r).sess.UserID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if t.NextAction != nil && t.NextAction.URL != "" {
		return s.leaveTo(w, r, t.NextAction.URL)
	}
	s.render(w, r, http.StatusOK, "topup_done", "topup.title", t, "")
	return nil
}
