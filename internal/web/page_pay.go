package web

import (
	"html/template"
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
)

type payStartData struct {
	// Paused: an operator switched payments off; the page says so and
	// offers no code.
	Paused bool
}

// payStart: GET /pay — the button that shows a payment code, or, while
// an operator has switched payments off, that paying is paused. Issuing
// a code is a POST (it is stored, and a cross-site page must not make
// one), which the wallet refuses while paused whatever this page said.
func (s *server) payStart(w http.ResponseWriter, r *http.Request) error {
	var d payStartData
	if err := s.d.Wallet.CheckCapability(r.Context(), ops.CapPayment); err != nil {
		if apperr.CodeOf(err) != apperr.CapabilityDisabled {
			return err
		}
		d.Paused = true
	}
	s.render(w, r, http.StatusOK, "pay", "pay.title", d, "")
	return nil
}

type payCodeData struct {
	Code      string // grouped digits, for reading aloud
	QR        template.HTML
	Barcode   template.HTML
	ExpiresAt time.Time
	// Seconds are the seconds left when the page was made, for the
	// countdown script.
	Seconds int
}

// payCode: POST /pay/code — a new one-time customer-presented code, as a
// QR code and a barcode drawn on the server; the page's button (pressed
// by pay.js shortly before expiry) makes the next one.
func (s *server) payCode(w http.ResponseWriter, r *http.Request) error {
	code, exp, err := s.d.Wallet.IssuePaymentCode(r.Context(), stateOf(r).sess)
	if err != nil {
		return err
	}
	qr, err := qrSVG(code)
	if err != nil {
		return err
	}
	bar, err := barcodeSVG(code)
	if err != nil {
		return err
	}
	left := int(exp.Sub(s.d.Now()).Seconds())
	d := payCodeData{Code: groupDigits(code), QR: qr, Barcode: bar, ExpiresAt: exp, Seconds: max(left, 0)}
	s.render(w, r, http.StatusOK, "pay_code", "pay.title", d, "")
	return nil
}

// groupDigits writes a code in groups of four for reading aloud.
func groupDigits(code string) string {
	var b []byte
	for i := 0; i < len(code); i++ {
		if i > 0 && i%4 == 0 {
			b = append(b, ' ')
		}
		b = append(b, code[i])
	}
	return string(b)
}
