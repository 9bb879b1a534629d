package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/saifu-pay/saifu/internal/wallet"
)

type sendData struct {
	Email, Amount, Message string
	// Yen is the amount as read, for the confirm page.
	Yen   int64
	Money int64 // the money balance: P2P sends money only
	Key   string
}

func (s *server) sendData(r *http.Request) (sendData, error) {
	b, err := s.d.Wallet.Balance(r.Context(), stateOf(r).sess.UserID)
	if err != nil {
		return sendData{}, err
	}
	// The same key from the form to its confirmation and the send.
	d := sendData{Money: b.Money, Key: formKey(r)}
	if r.Method == http.MethodPost {
		d.Email, d.Amount, d.Message = formValue(r, "to_email"), formValue(r, "amount"), formValue(r, "message")
		d.Yen = parseYen(d.Amount)
	}
	return d, nil
}

// sendForm: GET /send — send money to a friend by email.
func (s *server) sendForm(w http.ResponseWriter, r *http.Request) error {
	d, err := s.sendData(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "send", "send.title", d, "")
	return nil
}

// sendConfirm: POST /send/confirm — the confirm page: the same fields and
// Idempotency-Key, sent to POST /send with one more click. Nothing is
// checked here but that the fields are there (the wallet decides on send).
func (s *server) sendConfirm(w http.ResponseWriter, r *http.Request) error {
	d, err := s.sendData(r)
	if err != nil {
		return err
	}
	if d.Email == "" || d.Amount == "" {
		return s.formError(w, r, "send", "send.title", d, errRequired())
	}
	s.render(w, r, http.StatusOK, "send_confirm", "send.confirm_title", d, "")
	return nil
}

// send: POST /send {to_email, amount, message, idempotency_key} — the
// wallet sends (KYC, limits, funds, risk: its rules); the browser goes
// to the transfer's page.
func (s *server) send(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	d, err := s.sendData(r)
	if err != nil {
		return err
	}
	err = s.once(w, r, func(ctx context.Context) (string, error) {
		t, err := s.d.Wallet.SendMoney(ctx, st.sess, d.Email, d.Yen, d.Message)
		return "/transfers/" + url.PathEscape(t.ID), err
	}, func(ctx context.Context, id string) (string, error) {
		t, err := s.d.Wallet.ReconcileTransfer(ctx, st.sess.UserID, id)
		return "/transfers/" + url.PathEscape(t.ID), err
	})
	if err == nil {
		return nil
	}
	if asked, perr := s.proveFirst(w, r, err, "/send"); asked {
		return perr
	}
	forgetKeyIfReused(r, err)
	d.Key = formKey(r)
	return s.formError(w, r, "send", "send.title", d, err)
}

type transferData struct {
	T    wallet.Transfer
	Sent bool // the user sent it (else received it)
}

// transferShow: GET /transfers/{id} — one transfer of the user's.
func (s *server) transferShow(w http.ResponseWriter, r *http.Request) error {
	uid := stateOf(r).sess.UserID
	t, err := s.d.Wallet.TransferOfUser(r.Context(), uid, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "transfer", "transfer.title", transferData{T: t, Sent: t.FromUser == uid}, "")
	return nil
}
