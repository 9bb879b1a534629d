package web

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/funding"
)

// bankChoice is a bank the link form offers.
type bankChoice struct{ Code, Key string }

// linkableBanks are the banks saifu can link (the demo sandbox's; a bank
// saifu has no contract with the bank connector refuses anyway).
var linkableBanks = []bankChoice{{"0001", "bank.0001"}, {"0002", "bank.0002"}}

type banksData struct {
	Links []funding.BankLink
	Banks []bankChoice
	// Done names what just happened ("linked", "removed"; "" for none).
	Done string
}

// fundingOn answers not found when the server has no funding (no bank or
// acquirer): the money pages are not there.
func (s *server) fundingOn() error {
	if s.d.Funding == nil {
		return apperr.E(apperr.NotFound, "not found").JA("ページが見つかりません")
	}
	return nil
}

// client is the page's caller as funding counts it, from the web wallet.
func (s *server) client(r *http.Request) funding.Client {
	c := stateOf(r).client
	return funding.Client{IP: c.IP.String(), DeviceID: c.DeviceID, Web: true}
}

// banks: GET /banks — the linked accounts and the form that links one.
func (s *server) banks(w http.ResponseWriter, r *http.Request) error {
	return s.banksWith(w, r, nil)
}

func (s *server) banksWith(w http.ResponseWriter, r *http.Request, formErr error) error {
	if err := s.fundingOn(); err != nil {
		return err
	}
	links, err := s.d.Funding.BankLinks(r.Context(), stateOf(r).sess.UserID)
	if err != nil {
		return err
	}
	d := banksData{Links: links, Banks: linkableBanks}
	if formErr != nil {
		return s.formError(w, r, "banks", "banks.title", d, formErr)
	}
	switch r.URL.Query().Get("done") {
	case "linked", "removed":
		d.Done = r.URL.Query().Get("done")
	}
	s.render(w, r, http.StatusOK, "banks", "banks.title", d, "")
	return nil
}

// bankLink: POST /banks {bank_code} — funding starts the link (KYC, a
// privileged session and the risk rules are its checks) and the browser
// goes to the bank's own login, one-time code and consent screens; the
// bank sends it back to /banks/callback.
func (s *server) bankLink(w http.ResponseWriter, r *http.Request) error {
	if err := s.fundingOn(); err != nil {
		return err
	}
	l, err := s.d.Funding.StartBankLink(r.Context(), stateOf(r).sess, s.client(r), formValue(r, "bank_code"))
	if err == nil {
		return s.leaveTo(w, r, l.AuthorizeURL)
	}
	if asked, perr := s.proveFirst(w, r, err, "/banks"); asked {
		return perr
	}
	return s.banksWith(w, r, err)
}

// bankCallback: GET /banks/callback?state&code (or ?error&state) — the
// bank's redirect back. The single-use state names the link; funding
// exchanges the code and checks the holder's name.
func (s *server) bankCallback(w http.ResponseWriter, r *http.Request) error {
	if err := s.fundingOn(); err != nil {
		return err
	}
	q := r.URL.Query()
	if _, err := s.d.Funding.FinishBankLink(r.Context(), q.Get("state"), q.Get("code"), q.Get("error")); err != nil {
		return s.banksWith(w, r, err)
	}
	http.Redirect(w, r, "/banks?done=linked", http.StatusSeeOther)
	return nil
}

// bankRemove: POST /banks/{id}/remove unlinks one of the user's accounts
// (funding refuses another user's as not found).
func (s *server) bankRemove(w http.ResponseWriter, r *http.Request) error {
	if err := s.fundingOn(); err != nil {
		return err
	}
	if err := s.d.Funding.RemoveBankLink(r.Context(), stateOf(r).sess.UserID, r.PathValue("id")); err != nil {
		return s.banksWith(w, r, err)
	}
	http.Redirect(w, r, "/banks?done=removed", http.StatusSeeOther)
	return nil
}

// proveFirst answers a service's demand that the person prove who they
// are (err): a session not privileged, or the risk rules' step-up, is
// the /reauth form, back to next once done — a step-up needs a second
// factor, so the form asks for the authenticator app's code. It reports
// false when err is no such demand, or a step-up this account cannot
// give here (no authenticator app: the service's message says what to
// do), for the caller to show err.
func (s *server) proveFirst(w http.ResponseWriter, r *http.Request, err error, next string) (bool, error) {
	switch apperr.CodeOf(err) {
	case apperr.ReauthRequired:
		return true, s.askReauthFor(w, r, next, "reauth.money_intro")
	case apperr.StepUpRequired:
		p, perr := s.d.Identity.Profile(r.Context(), stateOf(r).sess.UserID)
		if perr != nil {
			return true, perr
		}
		if p.TOTP {
			return true, s.askReauthFor(w, r, next, "reauth.stepup_intro")
		}
	}
	return false, nil
}
