package wallet

import (
	"context"
	"errors"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/identity"
)

// SubmitKYC verifies the user's identity document with the eKYC provider
// and records the outcome (identity.SetKYC): "verified" unlocks the money
// balance, P2P and bank linking. A verified user stays verified: a second
// submission answers "verified" without asking the provider, so the name
// that bank links were matched against cannot be changed this way.
func (s *Service) SubmitKYC(ctx context.Context, userID, fullName, birthDate, documentToken string) (string, error) {
	if s.kyc == nil {
		return "", apperr.E(apperr.Unavailable, "identity verification is not configured").JA("本人確認は現在ご利用いただけません")
	}
	u, err := s.id.User(ctx, userID)
	if err != nil {
		return "", err
	}
	if u.KYCStatus == identity.KYCVerified {
		return identity.KYCVerified, nil
	}
	if fullName == "" || len(fullName) > 200 || documentToken == "" || len(documentToken) > 200 {
		return "", apperr.E(apperr.Invalid, "full name and document token are required").JA("氏名と書類トークンが必要です")
	}
	if _, err := time.Parse("2006-01-02", birthDate); err != nil {
		return "", apperr.E(apperr.Invalid, "birth date must be YYYY-MM-DD").JA("生年月日は YYYY-MM-DD の形式で入力してください")
	}
	res, err := s.kyc.Verify(ctx, connector.KYCRequest{FullName: fullName, BirthDate: birthDate, DocumentToken: documentToken})
	switch {
	case errors.Is(err, connector.ErrInvalidRequest):
		return "", apperr.Wrap(apperr.Invalid, "the identity document was not accepted", err).JA("本人確認書類を受け付けられませんでした")
	case err != nil:
		return "", apperr.Wrap(apperr.Unavailable, "identity verification is temporarily unavailable", err).JA("本人確認は一時的にご利用いただけません")
	}
	status := identity.KYCRejected
	name, birth := fullName, birthDate
	if res.Status == connector.KYCVerified {
		status, name, birth = identity.KYCVerified, res.FullName, res.BirthDate
	}
	if err := s.id.SetKYC(ctx, userID, status, name, birth); err != nil {
		return "", err
	}
	if err := s.Notify(ctx, userID, "wallet_kyc", map[string]any{"Status": status}); err != nil {
		s.log.Warn("wallet: notify kyc", "err", err)
	}
	s.kick()
	return status, nil
}
