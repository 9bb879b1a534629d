package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// Ceremony kinds of a passkey asked for as the second factor of a login
// (bound to its mfa_token) or of a password reset (bound to its token).
const (
	ceremonyMFA   = "mfa"
	ceremonyReset = "reset"
)

// hasPasskey reports whether the user has registered a passkey.
func (s *Service) hasPasskey(ctx context.Context, userID string) (bool, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM passkeys WHERE user_id = ?`, userID).Scan(&n); err != nil {
		return false, fmt.Errorf("identity: count passkeys: %w", err)
	}
	return n > 0, nil
}

// BeginLoginMFAPasskey starts the passkey step of a login that answered
// mfa_required with method "passkey": the ceremony id and the
// PublicKeyCredentialRequest options (the user's own passkeys only). The
// ceremony is bound to mfaToken: its assertion completes that login only.
func (s *Service) BeginLoginMFAPasskey(ctx context.Context, mfaToken string) (string, json.RawMessage, error) {
	if !validToken(mfaToken) {
		return "", nil, errMFAToken
	}
	th := hashToken(mfaToken)
	var userID string
	err := s.db.QueryRow(ctx, `SELECT user_id FROM mfa_challenges WHERE token_hash = ? AND attempts < ? AND expires_at > ?`,
		th, s.lim.MFAAttempts, s.now().UnixMilli()).Scan(&userID)
	if errors.Is(err, store.ErrNoRows) {
		return "", nil, errMFAToken
	}
	if err != nil {
		return "", nil, fmt.Errorf("identity: read mfa challenge: %w", err)
	}
	return s.beginFactorPasskey(ctx, userID, ceremonyMFA, th)
}

// LoginMFAPasskey completes a login with a passkey as its second factor:
// an assertion for the ceremony BeginLoginMFAPasskey started for the same
// mfa_token. It counts as a guess against the mfa_token like a code.
func (s *Service) LoginMFAPasskey(ctx context.Context, mfaToken, ceremonyID string, assertion []byte, c Client) (LoginResult, error) {
	parsed, err := parseAssertion(assertion)
	if err != nil {
		return LoginResult{}, err
	}
	claim, err := s.claimMFA(ctx, mfaToken)
	if err != nil {
		return LoginResult{}, err
	}
	if err := s.checkFactorPasskey(ctx, claim.userID, ceremonyMFA, claim.tokenHash, ceremonyID, parsed); err != nil {
		return LoginResult{}, err
	}
	return s.finishMFA(ctx, claim, FactorPasskey, base64.RawURLEncoding.EncodeToString(parsed.RawID), c)
}

func parseAssertion(assertion []byte) (*protocol.ParsedCredentialAssertionData, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(assertion)
	if err != nil {
		return nil, apperr.Wrap(apperr.Invalid, "malformed passkey assertion", err).JA("パスキーの形式が正しくありません")
	}
	return parsed, nil
}

// beginFactorPasskey stores a ceremony of kind for one of userID's
// passkeys, bound to boundTo, and returns its id and request options.
func (s *Service) beginFactorPasskey(ctx context.Context, userID, kind, boundTo string) (string, json.RawMessage, error) {
	if err := s.hit(ctx, "passkey:factor:"+userID, s.lim.MFAAccount); err != nil {
		return "", nil, err
	}
	now := s.now()
	var id string
	var opts []byte
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		u, err := loadWAUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if len(u.creds) == 0 {
			return apperr.E(apperr.Invalid, "no passkey is registered").JA("パスキーが登録されていません")
		}
		assertion, sd, err := s.wa.wa.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired))
		if err != nil {
			return fmt.Errorf("identity: begin passkey factor: %w", err)
		}
		if opts, err = json.Marshal(assertion); err != nil {
			return fmt.Errorf("identity: encode passkey options: %w", err)
		}
		id, err = s.saveCeremony(ctx, tx, u.id, kind, boundTo, sd, now)
		return err
	})
	return id, opts, err
}

// checkFactorPasskey verifies an assertion by one of userID's passkeys
// for a ceremony of kind bound to boundTo (origin, RP ID, challenge, user
// verification, signature) and records its use. A wrong, foreign, used or
// expired ceremony and a failed assertion are errPasskey.
func (s *Service) checkFactorPasskey(ctx context.Context, userID, kind, boundTo, ceremonyID string, parsed *protocol.ParsedCredentialAssertionData) error {
	now := s.now()
	var outcome error
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		outcome = nil
		owner, sd, err := takeCeremony(ctx, tx, ceremonyID, kind, boundTo, now)
		if err != nil {
			if apperr.CodeOf(err) == apperr.InvalidCredentials {
				outcome = err
				return nil
			}
			return err
		}
		if owner != userID {
			outcome = errPasskey
			return nil
		}
		u, err := loadWAUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		cred, err := s.wa.wa.ValidateLogin(u, sd, parsed)
		if err != nil {
			s.log.Info("identity: passkey factor refused", "user_id", userID, "kind", kind, "err", err)
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
		if _, err := tx.Exec(ctx, `UPDATE passkeys SET credential = ?, sign_count = ?, last_used_at = ? WHERE id = ? AND user_id = ?`,
			string(raw), int64(cred.Authenticator.SignCount), now.UnixMilli(), base64.RawURLEncoding.EncodeToString(cred.ID), userID); err != nil {
			return fmt.Errorf("identity: update passkey: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return outcome
}
