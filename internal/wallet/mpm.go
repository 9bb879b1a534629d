package wallet

import (
	"context"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity"
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
	p, err := emvqr.Parse(payload)
	if err != nil {
		return Payment{}, err
	}
	if p.Dynamic() {
		if amount != 0 && amount != p.Amount {
			return Payment{}, apperr.E(apperr.Invalid, "amount differs from the amount in the code").JA("金額がコードの金額と一致しません")
		}
		amount = p.Amount
	}
	if err := checkAmount(amount); err != nil {
		return Payment{}, err
	}
	if s.merchants == nil {
		return Payment{}, errNoMerchants
	}
	m, err := s.merchants.GetByEMVID(ctx, p.MerchantID)
	if apperr.CodeOf(err) == apperr.NotFound {
		return Payment{}, apperr.E(apperr.Invalid, "unknown merchant").JA("加盟店が見つかりません")
	}
	if err != nil {
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
