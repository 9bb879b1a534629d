package web

import (
	"crypto/subtle"
	"net/http"
	"net/url"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/funding"
)

// Cards are registered without their number ever reaching saifu: the
// browser goes to the acquirer's own card-entry page (Deps.CardEntryURL),
// which sends it back to /cards/entered with a token and the state this
// browser was given (a cookie: the trip is this browser's, and no other
// site can send a token here in its name). funding registers the token;
// when the issuer asks for a 3-D Secure challenge the browser goes to it,
// and the issuer sends it back to /cards/return.

// cardNew: POST /cards/new — to the acquirer's card-entry page.
func (s *server) cardNew(w http.ResponseWriter, r *http.Request) error {
	if err := s.fundingOn(); err != nil {
		return err
	}
	if s.d.CardEntryURL == "" {
		return apperr.E(apperr.CapabilityDisabled, "card registration is not available").JA("カードの登録はご利用いただけません")
	}
	state := randomToken()
	setCookie(w, cookieCard, state, cardCookieAge)
	q := url.Values{"return_to": {s.d.PublicURL + "/cards/entered"}, "state": {state}}
	return s.leaveTo(w, r, s.d.CardEntryURL+"?"+q.Encode())
}

// cardEntered: GET /cards/entered?card_token&state — back from the
// acquirer: funding registers the token (a privileged session, throttles
// and caps are its checks), then the challenge if the issuer asks.
func (s *server) cardEntered(w http.ResponseWriter, r *http.Request) error {
	if err := s.fundingOn(); err != nil {
		return err
	}
	q := r.URL.Query()
	c, err := r.Cookie(cookieCard)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(q.Get("state"))) != 1 || q.Get("card_token") == "" {
		return s.topupWith(w, r, apperr.E(apperr.Invalid, "the card entry expired or was not started here; add the card again").
			JA("カード登録の手続きが無効か期限切れです。もう一度カードを追加してください"))
	}
	card, err := s.d.Funding.AddCard(r.Context(), stateOf(r).sess, s.client(r), q.Get("card_token"))
	// Back here once confirmed: the state cookie is kept until then.
	if asked, perr := s.proveFirst(w, r, err, r.URL.RequestURI()); asked {
		return perr
	}
	clearCookie(w, cookieCard)
	if err != nil {
		return s.topupWith(w, r, err)
	}
	return s.cardOutcome(w, r, card)
}

// cardOutcome sends the browser on from a registered card: to the
// issuer's challenge, or back to the top-up form saying how it went.
func (s *server) cardOutcome(w http.ResponseWriter, r *http.Request, card funding.Card) error {
	if card.NextAction != nil && card.NextAction.URL != "" {
		return s.leaveTo(w, r, card.NextAction.URL)
	}
	http.Redirect(w, r, "/topup?card="+url.QueryEscape(card.Status), http.StatusSeeOther)
	return nil
}

// threeDSReturn: GET /cards/return?auth_id — the issuer's challenge sends
// the browser back; funding asks the acquirer how it ended (it trusts
// nothing from the browser but the id).
func (s *server) threeDSReturn(w http.ResponseWriter, r *http.Request) error {
	if err := s.fundingOn(); err != nil {
		return err
	}
	res, err := s.d.Funding.ThreeDSReturn(r.Context(), r.URL.Query().Get("auth_id"))
	if err != nil {
		return err
	}
	if res.Kind == "topup" {
		http.Redirect(w, r, "/topups/"+url.PathEscape(res.ID), http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/topup?card="+url.QueryEscape(res.Status), http.StatusSeeOther)
	return nil
}

// cardRemove: POST /cards/{id}/remove — funding removes one of the user's
// cards at once (another user's is not found).
func (s *server) cardRemove(w http.ResponseWriter, r *http.Request) error {
	if err := s.fundingOn(); err != nil {
		return err
	}
	if err := s.d.Funding.RemoveCard(r.Context(), stateOf(r).sess.UserID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/topup?card="+url.QueryEscape(funding.CardRemoved), http.StatusSeeOther)
	return nil
}
