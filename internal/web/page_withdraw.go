package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/funding"
)

type withdrawData struct {
	Links  []funding.BankLink // active ones
	Held   []funding.Withdrawal
	Money  int64 // what may be withdrawn: the money balance only
	Link   string
	Amount string
	Key    string
}

// withdrawForm: GET /withdraw — withdraw money to a linked bank; the
// withdrawals on hold, each with its reason and release time.
func (s *server) withdrawForm(w http.ResponseWriter, r *http.Request) error {
	return s.withdrawWith(w, r, nil)
}

func (s *server) withdrawWith(w http.ResponseWriter, r *http.Request, formErr error) error {
	if err := s.fundingOn(); err != nil {
		return err
	}
	ctx, uid := r.Context(), stateOf(r).sess.UserID
	links, err := s.d.Funding.BankLinks(ctx, uid)
	if err != nil {
		return err
	}
	held, err := s.d.Funding.HeldWithdrawals(ctx, uid)
	if err != nil {
		return err
	}
	b, err := s.d.Wallet.Balance(ctx, uid)
	if err != nil {
		return err
	}
	d := withdrawData{Held: held, Money: b.Money, Key: formKey(r), Link: r.URL.Query().Get("link"), Amount: r.URL.Query().Get("amount")}
	for _, l := range links {
		if l.Status == funding.LinkActive {
			d.Links = append(d.Links, l)
		}
	}
	if r.Method == http.MethodPost {
		d.Link, d.Amount = formValue(r, "bank_link"), formValue(r, "amount")
	}
	if formErr != nil {
		return s.formError(w, r, "withdraw", "withdraw.title", d, formErr)
	}
	s.render(w, r, http.StatusOK, "withdraw", "withdraw.title", d, "")
	return nil
}

// withdraw: POST /withdraw {bank_link, amount, idempotency_key} — funding
// decides (privileged session, limits, holds: its rules); the browser
// goes to the withdrawal's page.
func (s *server) withdraw(w http.ResponseWriter, r *http.Request) error {
	if err := s.fundingOn(); err != nil {
		return err
	}
	st := stateOf(r)
	link, amount := formValue(r, "bank_link"), parseYen(formValue(r, "amount"))
	err := s.once(w, r, func(ctx context.Context) (string, error) {
		wd, err := s.d.Funding.Withdraw(ctx, st.sess, link, amount)
		return "/withdrawals/" + url.PathEscape(wd.ID), err
	}, func(ctx context.Context, id string) (string, error) {
		wd, err := s.d.Funding.ReconcileWithdrawal(ctx, st.sess.UserID, id)
		return "/withdrawals/" + url.PathEscape(wd.ID), err
	})
	if err == nil {
		return nil
	}
	if asked, perr := s.proveFirst(w, r, err, "/withdraw?"+url.Values{"link": {link}, "amount": {formValue(r, "amount")}}.Encode()); asked {
		return perr
	}
	forgetKeyIfReused(r, err)
	return s.withdrawWith(w, r, err)
}

type withdrawalData struct {
	W    funding.Withdrawal
	Link funding.BankLink
	// Cancelled: the person just cancelled it.
	Cancelled bool
}

// withdrawalShow: GET /withdrawals/{id} — one withdrawal: its status, and
// while held why and until when, with the button that cancels it.
func (s *server) withdrawalShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.fundingOn(); err != nil {
		return err
	}
	ctx, uid := r.Context(), stateOf(r).sess.UserID
	wd, err := s.d.Funding.Withdrawal(ctx, uid, r.PathValue("id"))
	if err != nil {
		return err
	}
	l, err := s.d.Funding.BankLink(ctx, uid, wd.BankLinkID)
	if err != nil && apperr.CodeOf(err) != apperr.NotFound {
		return err
	}
	d := withdrawalData{W: wd, Link: l, Cancelled: r.URL.Query().Get("done") == "cancelled"}
	s.render(w, r, http.StatusOK, "withdrawal", "withdrawal.title", d, "")
	return nil
}

// withdrawalCancel: POST /withdrawals/{id}/cancel — funding cancels a
// held withdrawal of the user's (another user's is not found, one no
// longer held a conflict) and voids its hold.
func (s *server) withdrawalCancel(w http.ResponseWriter, r *http.Request) error {
	if err := s.fundingOn(); err != nil {
		return err
	}
	wd, err := s.d.Funding.CancelWithdrawal(r.Context(), stateOf(r).sess.UserID, r.PathValue("id"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/withdrawals/"+url.PathEscape(wd.ID)+"?done=cancelled", http.StatusSeeOther)
	return nil
}
