package sandbox

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The acquirer's hosted card-entry page (API.md, "Demo mode"): the person
// types the card here, on the acquirer's page, never on saifu's; the page
// tokenizes it (tokenize, the JSON endpoint's path) and sends the browser
// to return_to with only card_token and state. return_to must be on the
// public base URL the sandbox serves (a real acquirer allows only the
// merchant's registered return URLs): anything else is shown, never
// redirected to.

// cardStateBytesMax bounds the caller's state, as OAuth's.
const cardStateBytesMax = 255

func cardEntryPage() pageData {
	return pageData{Title: "カード情報の入力", TitleEN: "Card details", Header: "サンドボックス・アクワイアラ / Sandbox Acquirer — card entry"}
}

// cardReturn checks return_to and state; ok false when the page must
// refuse them.
func (s *Sandbox) cardReturn(r *http.Request, returnTo, state string) bool {
	u, err := url.Parse(returnTo)
	base, berr := url.Parse(s.baseURL(r))
	return err == nil && berr == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Fragment == "" &&
		u.Scheme == base.Scheme && u.Host == base.Host && len(returnTo) <= redirectBytesMax &&
		state != "" && len(state) <= cardStateBytesMax
}

// handleCardEntry: GET /sandbox/card/entry?return_to&state — the form.
func (s *Sandbox) handleCardEntry(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !s.cardReturn(r, q.Get("return_to"), q.Get("state")) {
		s.message(w, http.StatusBadRequest, cardEntryPage(),
			"戻り先（return_to）または state が正しくありません。", "The return_to URL or the state is invalid.")
		return
	}
	s.renderCardEntry(w, http.StatusOK, q.Get("return_to"), q.Get("state"), "", "")
}

func (s *Sandbox) renderCardEntry(w http.ResponseWriter, status int, returnTo, state, errJA, errEN string) {
	d := cardEntryPage()
	d.Action, d.ReturnTo, d.State, d.Cards = "/sandbox/card/entry", returnTo, state, testCards
	if u, err := url.Parse(returnTo); err == nil {
		d.RedirectHost = u.Host
	}
	d.Error, d.ErrorEN = errJA, errEN
	s.render(w, status, "card_entry.html", d)
}

// handleCardEntrySubmit: POST /sandbox/card/entry {number, exp_month,
// exp_year, cvc, return_to, state} → 303 to return_to?card_token&state;
// a refused card is the form again with the reason (the number is not
// echoed back).
func (s *Sandbox) handleCardEntrySubmit(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		s.message(w, http.StatusBadRequest, cardEntryPage(), "入力が正しくありません。", "Malformed form.")
		return
	}
	f := r.PostForm
	returnTo, state := f.Get("return_to"), f.Get("state")
	if !s.cardReturn(r, returnTo, state) {
		s.message(w, http.StatusBadRequest, cardEntryPage(),
			"戻り先（return_to）または state が正しくありません。", "The return_to URL or the state is invalid.")
		return
	}
	month, _ := strconv.Atoi(strings.TrimSpace(f.Get("exp_month")))
	year, _ := strconv.Atoi(strings.TrimSpace(f.Get("exp_year")))
	if year > 0 && year < 100 {
		year += 2000
	}
	ans, err := s.tokenize(r.Context(), tokenizeRequest{Number: f.Get("number"), ExpMonth: month, ExpYear: year, CVC: strings.TrimSpace(f.Get("cvc"))})
	var e *apiError
	if errors.As(err, &e) && e.status < 500 {
		ja, en := cardEntryRefusal(e.code)
		s.renderCardEntry(w, http.StatusBadRequest, returnTo, state, ja, en)
		return
	}
	if err != nil {
		s.log.Error("sandbox: card entry", "err", err)
		s.message(w, http.StatusInternalServerError, cardEntryPage(), "システムエラーが発生しました。", "Internal error.")
		return
	}
	http.Redirect(w, r, withQuery(returnTo, url.Values{"card_token": {ans.CardToken}, "state": {state}}), http.StatusSeeOther)
}

func cardEntryRefusal(code string) (ja, en string) {
	switch code {
	case "invalid_expiry":
		return "有効期限が正しくありません。", "The expiry date is not valid."
	case "expired_card":
		return "このカードは有効期限が切れています。", "This card has expired."
	case "invalid_cvc":
		return "セキュリティコードが正しくありません。", "The security code is not valid."
	}
	return "カード番号が正しくありません（サンドボックスではテストカードのみ使えます）。", "The card number is not valid (the sandbox takes its test cards only)."
}
