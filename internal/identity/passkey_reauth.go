package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

const ceremonyReauth = "reauth"

// BeginPasskeyReauth starts a step-up with one of the session user's
// passkeys: the ceremony id and the PublicKeyCredentialRequest options.
func (s *Service) BeginPasskeyReauth(ctx context.Context, sess Session) (string, json.RawMessage, error) {
	if err := s.hit(ctx, "reauth:"+sess.ID, s.lim.Reauth); err != nil {
		return "", nil, err
	}
	now := s.now()
	var id string
	var opts []byte
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		u, err := loadWAUser(ctx, tx, sess.UserID)
		if err != nil {
			return err
		}
		if len(u.creds) == 0 {
			return apperr.E(apperr.Invalid, "no passkey is registered").JA("パスキーが登録されていません")
		}
		assertion, sd, err := s.wa.wa.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired))
		if err != nil {
			return fmt.Errorf("identity: begin passkey reauth: %w", err)
		}
		if opts, err = json.Marshal(assertion); err != nil {
			return fmt.Errorf("identity: encode passkey options: %w", err)
		}
		id, err = s.saveCeremony(ctx, tx, u.id, ceremonyReauth, "", sd, now)
		return err
	})
	return id, opts, err
}

// ReauthPasskey makes the session privileged after an assertion by one of
// its user's passkeys.
func (s *Service) ReauthPasskey(ctx context.Context, sess Session, ceremonyID string, assertion []byte, c Client) error {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(assertion)
	if err != nil {
		return apperr.Wrap(apperr.Invalid, "malformed passkey assertion", err).JA("パスキーの形式が正しくありません")
	}
	now := s.now()
	var outcome error
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		outcome = nil
		u, sd, refused, err := takeOwnCeremony(ctx, tx, ceremonyID, ceremonyReauth, sess.UserID, now)
		if err != nil || refused != nil {
			outcome = refused
			return err
		}
		userID := sess.UserID
		cred, err := s.wa.wa.ValidateLogin(u, sd, parsed)
		if err != nil {
			s.log.Info("identity: passkey reauth refused", "user_id", userID, "err", err)
			outcome = errPasskey
			return nil
		}
		if cred.Authenticator.CloneWarning {
			s.log.Warn("identity: passkey signature counter did not increase; possible cloned authenticator",
				"user_id", userID, "credential", base64.RawURLEncoding.EncodeToString(cred.ID))
		}
		raw, err := json.Marshal(cred)
		if err != nil {
			return fmt.Errorf("identity: encode passkey: %w", err)
		}
		credID := base64.RawURLEncoding.EncodeToString(cred.ID)
		if _, err := tx.Exec(ctx, `UPDATE passkeys SET credential = ?, sign_count = ?, last_used_at = ? WHERE id = ? AND user_id = ?`,
			string(raw), int64(cred.Authenticator.SignCount), now.UnixMilli(), credID, userID); err != nil {
			return fmt.Errorf("identity: update passkey: %w", err)
		}
		trustedAt, err := factorTrust(ctx, tx, userID, FactorPasskey, credID)
		if err != nil {
			return err
		}
		if err := privilege(ctx, tx, sess, FactorPasskey, trustedAt, now); err != nil {
			return err
		}
		return s.Audit(ctx, tx, AuditEvent{UserID: userID, Action: "reauth.passkey", IP: c.ip(), UserAgent: c.userAgent(), Detail: sess.ID, At: now})
	})
	if err != nil {
		return err
	}
	return outcome
}
