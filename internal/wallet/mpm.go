package wallet

import (
	"context"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/wallet/emvqr"
)

// PayQR is the user's side of a merchant-presented code: it parses the
// EMVCo payload (CRC, currency 392, country JP), finds the merchant and
// pays it. amount may be 0 for a dynamic code (which carries its own);
// a different amount than a dynamic code's is refused. Unknown merchant
// and bad payloads are apperr.Invalid.
// The session's step-up decides the cooling-off cap (stepup.go).
func (s *Service) PayQR(ctx context.Context, sess identity.Session, payload string, amount int64) (Payment, error) {
	// What the stored session proved, not what the caller's copy says.
	sess, err := s.id.Current(ctx, sess)
	if err != nil {
		return Payment{}, err
	}
	if err := s.CheckCapability(ctx, ops.CapPayment); err != nil {
		return Payment{}, err
	}
	p, m, amount, err := s.readQR(ctx, payload, amount)
	if err != nil {
		return Payment{}, err
	}
	if err := checkAmount(amount); err != nil {
		return Payment{}, err
	}
	d, err := s.decidePayment(ctx, sess, risk.Subject{Amount: amount, Payee: "merchant:" + m.ID})
	if err != nil {
		return Payment{}, err
	}
	py := payerOf(sess)
	py.decision = d
	return s.pay(ctx, MethodMPM, py, m, amount, p.Reference, nil)
}

// QRQuote is a merchant-presented code as the payer sees it before
// paying: the merchant as saifu knows it (not the name the code prints)
// and the amount.
type QRQuote struct {
	MerchantName string
	// Amount is the code's own (Fixed), or the amount the payer typed
	// for a static code; 0 while a static code's amount is still to be
	// typed.
	Amount int64
	Fixed  bool
}

// QuoteQR reads a merchant-presented code for the payer's confirmation,
// with the checks PayQR makes on it: the payload, the merchant, and the
// amount when one is known (amount, for a static code: 0 asks for none
// yet). Nothing is paid, reserved or recorded.
func (s *Service) QuoteQR(ctx context.Context, payload string, amount int64) (QRQuote, error) {
	p, m, amount, err := s.readQR(ctx, payload, amount)
	if err != nil {
		return QRQuote{}, err
	}
	if amount != 0 || p.Dynamic() {
		if err := checkAmount(amount); err != nil {
			return QRQuote{}, err
		}
	}
	return QRQuote{MerchantName: m.Name, Amount: amount, Fixed: p.Dynamic()}, nil
}

// readQR parses payload, finds its merchant and settles the amount: a
// dynamic code's own (a different one is refused), else amount.
func (s *Service) readQR(ctx context.Context, payload string, amount int64) (emvqr.MerchantPayload, merchant.Merchant, int64, error) {
	p, err := emvqr.Parse(payload)
	if err != nil {
		return p, merchant.Merchant{}, 0, err
	}
	if p.Dynamic() {
		if amount != 0 && amount != p.Amount {
			return p, merchant.Merchant{}, 0, apperr.E(apperr.Invalid, "amount differs from the amount in the code").JA("金額がコードの金額と一致しません")
		}
		amount = p.Amount
	}
	if s.merchants == nil {
		return p, merchant.Merchant{}, 0, errNoMerchants
	}
	m, err := s.merchants.GetByEMVID(ctx, p.MerchantID)
	if apperr.CodeOf(err) == apperr.NotFound {
		return p, m, 0, apperr.E(apperr.Invalid, "unknown merchant").JA("加盟店が見つかりません")
	}
	if err != nil {
		return p, m, 0, err
	}
	return p, m, amount, nil
}

// PayeeName is the name of the merchant a payment went to, as saifu
// knows it (for the payer's receipt).
func (s *Service) PayeeName(ctx context.Context, p Payment) (string, error) {
	if s.merchants == nil {
		return "", errNoMerchants
	}
	m, err := s.merchants.Get(ctx, p.MerchantID)
	if err != nil {
		return "", err
	}
	return m.Name, nil
}
