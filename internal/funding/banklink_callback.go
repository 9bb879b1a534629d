package funding

import (
	"context"
	"errors"
	"fmt"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/connector"
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
	RejectLinkLimit      = "limit_exceeded"
	RejectBankRefused    = "bank_refused"
	RejectBankError      = "bank_unavailable"
)

var errLinkState = apperr.E(apperr.Invalid, "unknown, used or expired link request; start again").JA("連携の手続きが無効か期限切れです。最初からやり直してください")

// FinishBankLink completes a link when the bank redirects the browser back
// with state and code (or with an OAuth error). The state, stored hashed
// and single-use, names the link and its user; the code is exchanged with
// the stored PKCE verifier; the holder's name must match the user's KYC
// name. On success the tokens are sealed, the user is notified and the
// holder gets an SMS at the phone the bank has on file.
// Errors: apperr.Invalid (unknown, used or expired state; the bank refused
// the request), apperr.InvalidGrant (the bank refused the code: used,
// expired, or another link's, as with a PKCE mismatch), apperr.AccessDenied
// (the holder declined consent), apperr.Forbidden (names differ, account
// linked to another user), apperr.Conflict (already linked),
// apperr.LimitExceeded (LinksPerUserMax active links), apperr.Unavailable
// (the bank did not answer). Each rejects the link.
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
		if oauthError == "" {
			oauthError = "invalid_request" // a redirect with neither code nor error
		}
		reason, err := linkRefusal(connector.RedirectError(oauthError, ""))
		return s.reject(ctx, l, reason, err)
	}
	verifier, err := s.box.Open(l.verifierSealed, verifierAAD(l.ID))
	if err != nil {
		return BankLink{}, fmt.Errorf("funding: open verifier: %w", err)
	}
	tok, err := s.bank.ExchangeCode(ctx, l.BankCode, code, string(verifier), s.callbackURL(l.web))
	if err != nil {
		reason, err := linkRefusal(err)
		return s.reject(ctx, l, reason, err)
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
	var refusedReason string
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		refused, refusedReason = nil, ""
		// Parallel callbacks must not both pass the counts below: the
		// counts and the activation are one serialised step.
		if err := s.serialise(ctx, tx, lockBankLinkActivate); err != nil {
			return err
		}
		var others, mine, active int
		if err := tx.QueryRow(ctx, `SELECT
			COALESCE(SUM(CASE WHEN user_id <> ? AND bank_code = ? AND account_id = ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN user_id = ? AND bank_code = ? AND account_id = ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN user_id = ? THEN 1 ELSE 0 END), 0)
			FROM funding_bank_links WHERE status = ? AND ((bank_code = ? AND account_id = ?) OR user_id = ?)`,
			l.UserID, l.BankCode, holder.AccountID, l.UserID, l.BankCode, holder.AccountID, l.UserID,
			LinkActive, l.BankCode, holder.AccountID, l.UserID).Scan(&others, &mine, &active); err != nil {
			return fmt.Errorf("funding: count links: %w", err)
		}
		switch {
		case others > 0:
			refused, refusedReason = apperr.E(apperr.Forbidden, "this bank account is linked to another saifu account").JA("この銀行口座は別のアカウントに連携されています"), RejectLinkedElsewere
			return nil
		case mine > 0:
			refused, refusedReason = apperr.E(apperr.Conflict, "this bank account is already linked").JA("この銀行口座はすでに連携されています"), RejectAlreadyLinked
			return nil
		case active >= s.lim.LinksPerUserMax:
			refused, refusedReason = linkLimitErr(s.lim.LinksPerUserMax), RejectLinkLimit
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
		return s.reject(ctx, l, refusedReason, refused)
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

// linkRefusal maps what the bank answered to a link request (on the
// redirect, or from the token endpoint) to the reject reason and the
// user's error, by the connector's sentinel errors alone.
func linkRefusal(err error) (reason string, out error) {
	switch {
	case errors.Is(err, connector.ErrAccessDenied):
		return RejectConsentDenied, apperr.Wrap(apperr.AccessDenied, "consent was declined at the bank; no account was linked", err).
			JA("銀行の同意画面で連携が拒否されました。口座は連携されていません")
	case errors.Is(err, connector.ErrInvalidGrant):
		return RejectInvalidGrant, apperr.Wrap(apperr.InvalidGrant,
			"the bank did not accept this link's authorization: it was already used, has expired or belongs to another link request; no account was linked, start again", err).
			JA("銀行が連携の認可を受け付けませんでした（使用済み・期限切れ、または別の連携手続きのもの）。口座は連携されていません。最初からやり直してください")
	case errors.Is(err, connector.ErrUnavailable):
		return RejectBankError, counterpartErr("bank link", err)
	case errors.Is(err, connector.ErrInvalidRequest), errors.Is(err, connector.ErrNotFound):
		return RejectBankRefused, apperr.Wrap(apperr.Invalid, "the bank refused the link request; no account was linked, start again", err).
			JA("銀行が連携の手続きを受け付けませんでした。口座は連携されていません。最初からやり直してください")
	}
	return RejectBankError, fmt.Errorf("funding: bank link: %w", err)
}
