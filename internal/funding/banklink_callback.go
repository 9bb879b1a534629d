package funding

import (
	"context"
	"errors"
	"fmt"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
)

// Reasons a link is rejected.
const (
	RejectConsentDenied  = "consent_denied"
	RejectInvalidGrant   = "invalid_grant"
	RejectNameMismatch   = "name_mismatch"
	RejectLinkedElsewere = "account_linked_elsewhere"
	RejectAlreadyLinked  = "already_linked"
	RejectBankError      = "bank_unavailable"
)

var errLinkState = apperr.E(apperr.Invalid, "unknown, used or expired link request; start again").JA("連携の手続きが無効か期限切れです。最初からやり直してください")

// FinishBankLink completes a link when the bank redirects the browser back
// with state and code (or with an OAuth error). The state, stored hashed
// and single-use, names the link and its user; the code is exchanged with
// the stored PKCE verifier; the holder's name must match the user's KYC
// name. On success the tokens are sealed, the user is notified and the
// holder gets an SMS at the phone the bank has on file.
// Errors: apperr.Invalid (unknown, used or expired state; bad code),
// apperr.Forbidden (consent denied, names differ, account linked to
// another user), apperr.Unavailable (the bank did not answer).
func (s *Service) FinishBankLink(ctx context.Context, state, code, oauthError string) (BankLink, error) {
	if state == "" || len(state) > 255 {
		return BankLink{}, errLinkState
	}
	now := s.now()
	l, err := scanLink(s.db.QueryRow(ctx, `SELECT `+linkCols+` FROM funding_bank_links WHERE state_hash = ?`, hashHex(state)))
	if errors.Is(err, store.ErrNoRows) {
		return BankLink{}, errLinkState
	}
	if err != nil {
		return BankLink{}, fmt.Errorf("funding: find link: %w", err)
	}
	// Claim the state once: expires_at 0 marks it used.
	res, err := s.db.Exec(ctx, `UPDATE funding_bank_links SET expires_at = 0, updated_at = ? WHERE id = ? AND status = ? AND expires_at > ?`,
		ms(now), l.ID, LinkPending, ms(now))
	if err != nil {
		return BankLink{}, fmt.Errorf("funding: claim link: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return BankLink{}, errLinkState
	}
	if oauthError != "" || code == "" {
		return s.reject(ctx, l, RejectConsentDenied, apperr.E(apperr.Forbidden, "the bank did not give consent").JA("銀行での同意が得られませんでした"))
	}
	verifier, err := s.box.Open(l.verifierSealed, verifierAAD(l.ID))
	if err != nil {
		return BankLink{}, fmt.Errorf("funding: open verifier: %w", err)
	}
	tok, err := s.bank.ExchangeCode(ctx, l.BankCode, code, string(verifier), s.callbackURL())
	if err != nil {
		reason := RejectInvalidGrant
		if apperr.CodeOf(counterpartErr("", err)) == apperr.Unavailable {
			reason = RejectBankError
		}
		return s.reject(ctx, l, reason, counterpartErr("exchange code", err))
	}
	holder, err := s.bank.Holder(ctx, l.BankCode, tok.AccessToken)
	if err != nil {
		return s.reject(ctx, l, RejectBankError, counterpartErr("holder", err))
	}
	u, err := s.users.User(ctx, l.UserID)
	if err != nil {
		return BankLink{}, err
	}
	if !s.match(u.KYCName, holder.NameKana, holder.NameRomaji) {
		s.notifyUser(ctx, l.UserID, "funding_bank_link_rejected", map[string]any{"BankCode": l.BankCode, "Last4": holder.AccountLast4})
		return s.reject(ctx, l, RejectNameMismatch, apperr.E(apperr.Forbidden, "the bank account holder's name is not the verified name of this account").
			JA("銀行口座の名義が本人確認済みのお名前と一致しません"))
	}
	access, refresh, err := s.sealTokens(l.ID, tok)
	if err != nil {
		return BankLink{}, err
	}
	var refused error
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		refused = nil
		// Parallel callbacks must not both pass the counts below.
		if err := s.serialise(ctx, tx, lockBankLinkActivate); err != nil {
			return err
		}
		var others, mine int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN user_id <> ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN user_id = ? THEN 1 ELSE 0 END), 0)
			FROM funding_bank_links WHERE bank_code = ? AND account_id = ? AND status = ?`,
			l.UserID, l.UserID, l.BankCode, holder.AccountID, LinkActive).Scan(&others, &mine); err != nil {
			return fmt.Errorf("funding: find account links: %w", err)
		}
		if others > 0 {
			refused = apperr.E(apperr.Forbidden, "this bank account is linked to another saifu account").JA("この銀行口座は別のアカウントに連携されています")
			return nil
		}
		if mine > 0 {
			refused = apperr.E(apperr.Conflict, "this bank account is already linked").JA("この銀行口座はすでに連携されています")
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE funding_bank_links SET status = ?, account_id = ?, account_last4 = ?, holder_phone = ?,
			access_sealed = ?, refresh_sealed = ?, token_expires_at = ?, usable_for_withdrawal_at = ?, verifier_sealed = '', updated_at = ?
			WHERE id = ? AND status = ?`, LinkActive, holder.AccountID, holder.AccountLast4, holder.Phone, access, refresh,
			ms(tok.ExpiresAt), ms(now.Add(s.lim.WithdrawalWait)), ms(now), l.ID, LinkPending); err != nil {
			return fmt.Errorf("funding: activate link: %w", err)
		}
		if holder.Phone == "" {
			return nil
		}
		// The holder hears of the link from saifu at the bank's phone on
		// file, whoever holds the wallet (docomo-koza: victims learnt of
		// the links from their statements).
		return s.outbox.Enqueue(ctx, tx, notify.Message{To: holder.Phone, Channel: notify.ChannelSMS,
			Body: fmt.Sprintf("[saifu] 口座(末尾%s)が saifu に連携されました。お心当たりがない場合は銀行にご連絡ください。 Your account ending %s was linked to saifu. If this was not you, call your bank.",
				holder.AccountLast4, holder.AccountLast4)})
	})
	if err != nil {
		return BankLink{}, err
	}
	if refused != nil {
		reason := RejectLinkedElsewere
		if apperr.CodeOf(refused) == apperr.Conflict {
			reason = RejectAlreadyLinked
		}
		return s.reject(ctx, l, reason, refused)
	}
	s.outbox.Kick()
	l, err = s.link(ctx, l.UserID, l.ID)
	if err != nil {
		return BankLink{}, err
	}
	s.notifyUser(ctx, l.UserID, "funding_bank_linked", map[string]any{"BankCode": l.BankCode, "Last4": l.AccountLast4,
		"UsableForWithdrawalAt": l.UsableForWithdrawalAt})
	return l, nil
}

// reject ends a pending link and returns cause.
func (s *Service) reject(ctx context.Context, l BankLink, reason string, cause error) (BankLink, error) {
	if _, err := s.db.Exec(ctx, `UPDATE funding_bank_links SET status = ?, reject_reason = ?, verifier_sealed = '', updated_at = ?
		WHERE id = ? AND status = ?`, LinkRejected, reason, ms(s.now()), l.ID, LinkPending); err != nil {
		return BankLink{}, fmt.Errorf("funding: reject link: %w", err)
	}
	l.Status, l.RejectReason = LinkRejected, reason
	return l, cause
}
