package funding

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/connector"
)

var (
	errCardNotFound       = apperr.E(apperr.NotFound, "no such card").JA("カードが見つかりません")
	errLinkNotFound       = apperr.E(apperr.NotFound, "no such bank link").JA("銀行口座の連携が見つかりません")
	errTopupNotFound      = apperr.E(apperr.NotFound, "no such top-up").JA("チャージが見つかりません")
	errWithdrawalNotFound = apperr.E(apperr.NotFound, "no such withdrawal").JA("出金が見つかりません")
)

func invalidAmount(maxAmount int64) *apperr.Error {
	return apperr.E(apperr.Invalid, fmt.Sprintf("amount must be an integer from 1 to %d", maxAmount)).
		JA(fmt.Sprintf("金額は 1 から %d までの整数で指定してください", maxAmount))
}

// hit counts one attempt against a throttle; apperr.RateLimited beyond it.
func (s *Service) hit(ctx context.Context, key string, limit int, window time.Duration) error {
	ok, retry, err := s.limiter.Hit(ctx, key, limit, window)
	if err != nil {
		return fmt.Errorf("funding: throttle: %w", err)
	}
	if !ok {
		e := apperr.E(apperr.RateLimited, "too many attempts; try again later").JA("試行回数が多すぎます。しばらくしてから再度お試しください")
		e.RetryAfter = retry
		return e
	}
	return nil
}

// counterpartErr turns a connector error into the caller's error: a
// definite refusal is shown as such, anything else is "unavailable".
func counterpartErr(op string, err error) error {
	switch {
	case errors.Is(err, connector.ErrUnavailable):
		return apperr.Wrap(apperr.Unavailable, "the bank or card company is not answering; try again later", err).JA("銀行またはカード会社が応答しません。しばらくしてから再度お試しください")
	case errors.Is(err, connector.ErrInvalidToken):
		return apperr.Wrap(apperr.Conflict, "the bank no longer accepts this link; link the account again", err).JA("銀行口座の連携が無効になりました。もう一度連携してください")
	case errors.Is(err, connector.ErrNotFound):
		return apperr.Wrap(apperr.Invalid, "unknown card token or bank", err).JA("カードまたは銀行が見つかりません")
	}
	return fmt.Errorf("funding: %s: %w", op, err)
}
