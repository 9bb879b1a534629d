package identity

import (
	"context"
	"fmt"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

var (
	errMFAToken = apperr.E(apperr.InvalidCredentials, "the sign-in attempt expired; log in again").JA("ログインの有効期限が切れました。もう一度ログインしてください")
	errMFACode  = apperr.E(apperr.InvalidCredentials, "wrong code").JA("コードが正しくありません")
)

// secondFactors lists the methods a login of a must complete with: none
// when no second factor is enrolled. A passkey is a second factor like an
// authenticator app: an account whose only one is a passkey is asked for
// it (a WebAuthn assertion) wherever a TOTP code would be asked.
func (s *Service) secondFactors(ctx context.Context, a account) ([]string, error) {
	var methods []string
	if a.totpSecret != "" {
		methods = append(methods, MethodTOTP, MethodRecoveryCode)
	}
	has, err := s.hasPasskey(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if has {
		methods = append(methods, MethodPasskey)
	}
	return methods, nil
}

// beginMFA stores a short-lived challenge and returns its mfa_token.
func (s *Service) beginMFA(ctx context.Context, a account, methods []string, known bool, c Client) (LoginResult, error) {
	now := s.now()
	token := randomToken(mfaTokenBytes)
	newDevice := int64(1)
	if known {
		newDevice = 0
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM mfa_challenges WHERE user_id = ? AND expires_at <= ?`, a.ID, now.UnixMilli()); err != nil {
			return fmt.Errorf("identity: prune mfa challenges: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO mfa_challenges (token_hash, user_id, expires_at, attempts, new_device, device_hash, ip, user_agent, cred_version)
			VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?)`, hashToken(token), a.ID, now.Add(s.lim.MFATTL).UnixMilli(), newDevice,
			deviceHash(c.DeviceID), c.ip(), c.userAgent(), a.credVersion)
		if err != nil {
			return fmt.Errorf("identity: store mfa challenge: %w", err)
		}
		return nil
	})
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{MFARequired: true, MFAToken: token, Methods: methods, UserID: a.ID}, nil
}

// mfaClaim is an MFA challenge whose guess was counted.
type mfaClaim struct {
	tokenHash, userID, devHash, ua string
	credVersion                    int64
}

// LoginMFA completes a login with the second factor: method "totp" or
// "recovery_code" (a passkey goes through LoginMFAPasskey). Each
// mfa_token takes at most MFAAttempts guesses and lives MFATTL; each
// account at most MFAAccount guesses.
func (s *Service) LoginMFA(ctx context.Context, mfaToken, method, code string, c Client) (LoginResult, error) {
	claim, err := s.claimMFA(ctx, mfaToken)
	if err != nil {
		return LoginResult{}, err
	}
	factor, err := s.checkSecondFactor(ctx, claim.userID, method, code, c)
	if err != nil {
		return LoginResult{}, err
	}
	return s.finishMFA(ctx, claim, factor, "", c)
}

// claimMFA counts one guess against the mfa_token's challenge and the
// account's MFA budget, and returns the challenge.
func (s *Service) claimMFA(ctx context.Context, mfaToken string) (mfaClaim, error) {
	if !validToken(mfaToken) {
		return mfaClaim{}, errMFAToken
	}
	claim := mfaClaim{tokenHash: hashToken(mfaToken)}
	th := claim.tokenHash
	now := s.now()
	var outcome error
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		outcome = nil
		// Count the guess in one conditional statement: parallel guesses
		// cannot all pass a limit read before any of them counted.
		claimed, err := claimGuess(ctx, tx, `UPDATE mfa_challenges SET attempts = attempts + 1 WHERE token_hash = ? AND attempts < ? AND expires_at > ?`,
			th, s.lim.MFAAttempts, now.UnixMilli())
		if err != nil {
			return fmt.Errorf("identity: count mfa guess: %w", err)
		}
		if !claimed {
			if _, err := tx.Exec(ctx, `DELETE FROM mfa_challenges WHERE token_hash = ?`, th); err != nil {
				return fmt.Errorf("identity: drop mfa challenge: %w", err)
			}
			outcome = errMFAToken
			return nil
		}
		err = tx.QueryRow(ctx, `SELECT user_id, device_hash, user_agent, cred_version FROM mfa_challenges WHERE token_hash = ?`, th).
			Scan(&claim.userID, &claim.devHash, &claim.ua, &claim.credVersion)
		if err != nil {
			return fmt.Errorf("identity: read mfa challenge: %w", err)
		}
		return nil
	})
	if err != nil {
		return mfaClaim{}, fmt.Errorf("identity: mfa challenge: %w", err)
	}
	if outcome != nil {
		return mfaClaim{}, outcome
	}
	if err := s.hit(ctx, "mfa:acct:"+claim.userID, s.lim.MFAAccount); err != nil {
		return mfaClaim{}, err
	}
	return claim, nil
}

// finishMFA consumes the challenge after its second factor was proved and
// creates the session under the credential version the password check saw.
// passkeyID names the passkey that proved it (factor FactorPasskey), whose
// trust the session inherits.
func (s *Service) finishMFA(ctx context.Context, claim mfaClaim, factor, passkeyID string, c Client) (LoginResult, error) {
	res, err := s.db.Exec(ctx, `DELETE FROM mfa_challenges WHERE token_hash = ?`, claim.tokenHash)
	if err != nil {
		return LoginResult{}, fmt.Errorf("identity: consume mfa challenge: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return LoginResult{}, errMFAToken
	}
	trustedAt, err := s.factorTrustOf(ctx, claim.userID, factor, passkeyID)
	if err != nil {
		return LoginResult{}, err
	}
	return s.completeLogin(ctx, claim.userID, claim.credVersion, claim.devHash, claim.ua, []string{FactorPassword, factor}, trustedAt, c, "")
}

// checkSecondFactor verifies a TOTP code (refusing a replayed time step)
// or consumes a recovery code (and tells the user), and returns the factor
// it proved.
func (s *Service) checkSecondFactor(ctx context.Context, userID, method, code string, c Client) (string, error) {
	switch method {
	case MethodTOTP:
		return FactorTOTP, s.checkTOTP(ctx, userID, code)
	case MethodRecoveryCode:
		return FactorRecoveryCode, s.useRecoveryCode(ctx, userID, code, c)
	default:
		return "", apperr.E(apperr.Invalid, `method must be "totp", "recovery_code" or "passkey"`).JA("認証方法が正しくありません")
	}
}
