package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// Paying a merchant-presented code (MPM): the code's payload is pasted,
// read from an uploaded photo on the server (qr_decode.go) or read by the
// camera in the browser (static/scan.js, the one part that needs
// JavaScript); the wallet reads it (wallet.QuoteQR) for a confirmation
// page with the merchant's name and the amount; the payment itself is an
// idempotent form (idempotency.go) on wallet.PayQR.

// scanPath is the scan page: the only page the camera is allowed on.
const scanPath = "/pay/merchant"

// photoPath takes a photo of a code: the one form with a body larger than
// formBytesMax.
const photoPath = "/pay/merchant/photo"

// payloadBytesMax bounds a pasted payload (the API's bound).
const payloadBytesMax = 2048

type scanData struct{ Payload string }

// scanForm: GET /pay/merchant — paste the code, upload a photo of it, or
// (with JavaScript and a camera) scan it.
func (s *server) scanForm(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
	s.render(w, r, http.StatusOK, "pay_merchant", "mpm.title", scanData{}, "")
	return nil
}

type mpmData struct {
	Payload string
	Quote   wallet.QRQuote
	// Amount is what was typed into a static code's amount field.
	Amount string
	// Key is the confirmation form's Idempotency-Key.
	Key string
}

// mpmRead: POST /pay/merchant {payload, amount?} — the wallet reads the
// code; a static code asks for the amount, then both show the
// confirmation.
func (s *server) mpmRead(w http.ResponseWriter, r *http.Request) error {
	payload := strings.TrimSpace(r.PostFormValue("payload"))
	if payload == "" || len(payload) > payloadBytesMax {
		return s.scanError(w, r, payload, errRequired())
	}
	amount, err := yenField(r.PostFormValue("amount"))
	if err != nil {
		return s.quoteError(w, r, payload, r.PostFormValue("amount"), err)
	}
	return s.quote(w, r, payload, amount)
}

// mpmPhoto: POST /pay/merchant/photo (multipart: photo) — the QR code in
// the photo is read on the server, then as mpmRead.
func (s *server) mpmPhoto(w http.ResponseWriter, r *http.Request) error {
	f, _, err := r.FormFile("photo")
	if err != nil {
		return s.scanError(w, r, "", errRequired())
	}
	defer f.Close()
	payload, err := decodeQRPhoto(f)
	if err != nil {
		return s.scanError(w, r, "", err)
	}
	return s.quote(w, r, payload, 0)
}

// quote shows what the wallet read of payload: the amount form (a static
// code without an amount yet) or the confirmation.
func (s *server) quote(w http.ResponseWriter, r *http.Request, payload string, amount int64) error {
	q, err := s.d.Wallet.QuoteQR(r.Context(), payload, amount)
	if err != nil {
		if amount != 0 {
			return s.quoteError(w, r, payload, strconv.FormatInt(amount, 10), err)
		}
		return s.scanError(w, r, payload, err)
	}
	d := mpmData{Payload: payload, Quote: q}
	if q.Amount == 0 {
		s.render(w, r, http.StatusOK, "pay_merchant_amount", "mpm.amount_title", d, "")
		return nil
	}
	d.Key = newFormKey()
	s.render(w, r, http.StatusOK, "pay_merchant_confirm", "mpm.confirm_title", d, "")
	return nil
}

// scanError shows the scan page again with err's message.
func (s *server) scanError(w http.ResponseWriter, r *http.Request, payload string, err error) error {
	w.Header().Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
	return s.formError(w, r, "pay_merchant", "mpm.title", scanData{Payload: payload}, err)
}

// quoteError shows a static code's amount form again with err's message.
func (s *server) quoteError(w http.ResponseWriter, r *http.Request, payload, amount string, err error) error {
	q, qerr := s.d.Wallet.QuoteQR(r.Context(), payload, 0)
	if qerr != nil {
		return s.scanError(w, r, payload, qerr)
	}
	return s.formError(w, r, "pay_merchant_amount", "mpm.amount_title", mpmData{Payload: payload, Quote: q, Amount: amount}, err)
}

// mpmPay: POST /pay/merchant/pay {payload, amount, idempotency_key} —
// the payment, once per confirmation form, then its receipt.
func (s *server) mpmPay(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	payload := strings.TrimSpace(r.PostFormValue("payload"))
	amount, err := yenField(r.PostFormValue("amount"))
	if err != nil || payload == "" || len(payload) > payloadBytesMax || amount == 0 {
		return errRequired()
	}
	err = s.once(w, r, func(ctx context.Context) (string, error) {
		p, err := s.d.Wallet.PayQR(ctx, st.sess, payload, amount)
		if err != nil {
			return "", err
		}
		return "/payments/" + p.ID, nil
	}, func(_ context.Context, opID string) (string, error) { return "/payments/" + opID, nil })
	switch apperr.CodeOf(err) {
	case apperr.ReauthRequired, apperr.StepUpRequired:
		return s.askReauth(w, r, scanPath)
	case apperr.IdempotencyKeyInUse:
		return s.renderMessage(w, r, http.StatusConflict, "mpm.in_progress")
	case apperr.IdempotencyKeyReused:
		return s.renderMessage(w, r, http.StatusUnprocessableEntity, "mpm.key_reused")
	}
	return err
}

// renderMessage shows the error page with the catalogue's message key.
func (s *server) renderMessage(w http.ResponseWriter, r *http.Request, status int, key string) error {
	s.renderStatus(w, r, status, key)
	return nil
}

type receiptData struct {
	Payment wallet.Payment
	Payee   string
}

// receipt: GET /payments/{id} — one of the user's payments (another
// user's is not found).
func (s *server) receipt(w http.ResponseWriter, r *http.Request) error {
	p, err := s.d.Wallet.PaymentOfUser(r.Context(), stateOf(r).sess.UserID, r.PathValue("id"))
	if err != nil {
		return err
	}
	payee, err := s.d.Wallet.PayeeName(r.Context(), p)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "payment", "receipt.title", receiptData{Payment: p, Payee: payee}, "")
	return nil
}

// yenField reads an amount of yen as a person types it ("1,200", "１２００",
// "1200円"); "" is 0. The wallet checks the amount itself.
func yenField(v string) (int64, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(v) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + r - '０')
		case r == ',' || r == '，' || r == ' ' || r == '円' || r == '¥' || r == '￥':
		default:
			return 0, errAmount
		}
	}
	if b.Len() == 0 {
		return 0, nil
	}
	if b.Len() > 9 {
		return 0, errAmount
	}
	n, err := strconv.ParseInt(b.String(), 10, 64)
	if err != nil {
		return 0, errAmount
	}
	return n, nil
}

// errAmount is an amount that is no number of yen; its message is the
// catalogue's form.amount.
var errAmount = apperr.E(apperr.Invalid, "amount")
