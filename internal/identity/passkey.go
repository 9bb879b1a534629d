package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

const (
	// passkeysPerUserMax bounds the passkeys one user registers.
	passkeysPerUserMax = 20
	// ceremonyTTL bounds how long a WebAuthn challenge stays valid.
	ceremonyTTL = 5 * time.Minute
	// Ceremony kinds stored in webauthn_challenges.
	ceremonyRegister = "register"
	ceremonyLogin    = "login"
)

var errPasskey = apperr.E(apperr.InvalidCredentials, "the passkey could not be verified").JA("パスキーを確認できませんでした")

// webAuthn is the passkey relying party: RP ID and the only origins an
// assertion may come from (an assertion made for any other origin — a
// look-alike phishing page — fails).
type webAuthn struct {
	wa *webauthn.WebAuthn
}

func newWebAuthn(cfg Config) (*webAuthn, error) {
	origins := cfg.RPOrigins
	if len(origins) == 0 {
		origins = []string{"https://" + cfg.RPID}
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID: cfg.RPID, RPDisplayName: cfg.RPDisplayName, RPOrigins: origins,
	})
	if err != nil {
		return nil, fmt.Errorf("identity: webauthn config: %w", err)
	}
	return &webAuthn{wa: wa}, nil
}

// waUser is a user as go-webauthn sees it.
type waUser struct {
	id, email   string
	credVersion int64 // the account's credential version when loaded
	creds       []webauthn.Credential
}

func (u *waUser) WebAuthnID() []byte                         { return []byte(u.id) }
func (u *waUser) WebAuthnName() string                       { return u.email }
func (u *waUser) WebAuthnDisplayName() string                { return u.email }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func loadWAUser(ctx context.Context, tx *store.Tx, userID string) (*waUser, error) {
	a, err := accountByID(ctx, tx, userID)
	if err != nil {
		return nil, err
	}
	u := &waUser{id: a.ID, email: a.Email, credVersion: a.credVersion}
	rows, err := tx.Query(ctx, `SELECT credential FROM passkeys WHERE user_id = ? ORDER BY created_at`, userID)
	if err != nil {
		return nil, fmt.Errorf("identity: read passkeys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("identity: read passkeys: %w", err)
		}
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return nil, fmt.Errorf("identity: decode passkey: %w", err)
		}
		u.creds = append(u.creds, c)
	}
	return u, rows.Err()
}

// saveCeremony stores go-webauthn's session data under a new id, bound to
// the flow boundTo names (the hash of an mfa_token or a reset token; ""
// for none).
func (s *Service) saveCeremony(ctx context.Context, tx *store.Tx, userID, kind, boundTo string, sd *webauthn.SessionData, now time.Time) (string, error) {
	raw, err := json.Marshal(sd)
	if err != nil {
		return "", fmt.Errorf("identity: encode webauthn session: %w", err)
	}
	id := randomToken(mfaTokenBytes)
	if _, err := tx.Exec(ctx, `DELETE FROM webauthn_challenges WHERE expires_at <= ?`, now.UnixMilli()); err != nil {
		return "", fmt.Errorf("identity: prune webauthn challenges: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO webauthn_challenges (id, user_id, kind, data, expires_at, bound_to) VALUES (?, ?, ?, ?, ?, ?)`,
		hashToken(id), userID, kind, string(raw), now.Add(ceremonyTTL).UnixMilli(), boundTo); err != nil {
		return "", fmt.Errorf("identity: store webauthn challenge: %w", err)
	}
	return id, nil
}

// takeCeremony consumes a stored ceremony (single use) of the given kind,
// bound to boundTo (see saveCeremony).
func takeCeremony(ctx context.Context, tx *store.Tx, id, kind, boundTo string, now time.Time) (string, webauthn.SessionData, error) {
	var sd webauthn.SessionData
	if !validToken(id) {
		return "", sd, errPasskey
	}
	var userID, gotKind, raw, gotBound string
	var expires int64
	err := tx.QueryRow(ctx, `SELECT user_id, kind, data, expires_at, bound_to FROM webauthn_challenges WHERE id = ?`, hashToken(id)).
		Scan(&userID, &gotKind, &raw, &expires, &gotBound)
	if errors.Is(err, store.ErrNoRows) {
		return "", sd, errPasskey
	}
	if err != nil {
		return "", sd, fmt.Errorf("identity: read webauthn challenge: %w", err)
	}
	res, err := tx.Exec(ctx, `DELETE FROM webauthn_challenges WHERE id = ?`, hashToken(id))
	if err != nil {
		return "", sd, fmt.Errorf("identity: consume webauthn challenge: %w", err)
	}
	// Only the request whose delete took the row uses the ceremony: a
	// parallel one read it too but finds it gone.
	if n, err := res.RowsAffected(); err != nil {
		return "", sd, fmt.Errorf("identity: consume webauthn challenge: %w", err)
	} else if n == 0 {
		return "", sd, errPasskey
	}
	if gotKind != kind || !equalHash(gotBound, boundTo) || now.UnixMilli() >= expires {
		return "", sd, errPasskey
	}
	if err := json.Unmarshal([]byte(raw), &sd); err != nil {
		return "", sd, fmt.Errorf("identity: decode webauthn session: %w", err)
	}
	return userID, sd, nil
}

// BeginPasskeyRegistration starts registering a passkey for a privileged
// session. It returns the ceremony id and the PublicKeyCredentialCreation
// options for navigator.credentials.create.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, sess Session) (string, json.RawMessage, error) {
	if err := s.RequirePrivileged(ctx, sess); err != nil {
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
		if len(u.creds) >= passkeysPerUserMax {
			return apperr.E(apperr.LimitExceeded, fmt.Sprintf("at most %d passkeys", passkeysPerUserMax)).JA("登録できるパスキーの数の上限に達しています")
		}
		var excl []protocol.CredentialDescriptor
		for _, c := range u.creds {
			excl = append(excl, c.Descriptor())
		}
		creation, sd, err := s.wa.wa.BeginRegistration(u,
			webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
			webauthn.WithExclusions(excl),
			webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
				ResidentKey: protocol.ResidentKeyRequirementRequired, UserVerification: protocol.VerificationRequired}))
		if err != nil {
			return fmt.Errorf("identity: begin passkey registration: %w", err)
		}
		if opts, err = json.Marshal(creation); err != nil {
			return fmt.Errorf("identity: encode passkey options: %w", err)
		}
		id, err = s.saveCeremony(ctx, tx, u.id, ceremonyRegister, "", sd, now)
		return err
	})
	return id, opts, err
}

// FinishPasskeyRegistration verifies the authenticator's attestation
// (origin, RP ID hash, challenge, user verification) and stores the
// passkey; the user is told by mail.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, sess Session, ceremonyID string, credential []byte, c Client) error {
	if err := s.RequirePrivileged(ctx, sess); err != nil {
		return err
	}
	if err := s.decideChange(ctx, risk.KindFactorChange, sess, c); err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil {
		return apperr.Wrap(apperr.Invalid, "malformed passkey credential", err).JA("パスキーの形式が正しくありません")
	}
	now := s.now()
	var outcome error
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		outcome = nil
		u, sd, refused, err := takeOwnCeremony(ctx, tx, ceremonyID, ceremonyRegister, sess.UserID, now)
		if err != nil || refused != nil {
			outcome = refused
			return err
		}
		userID := sess.UserID
		cred, err := s.wa.wa.CreateCredential(u, sd, parsed)
		if err != nil {
			s.log.Info("identity: passkey registration refused", "user_id", userID, "err", err)
			outcome = errPasskey
			return nil
		}
		raw, err := json.Marshal(cred)
		if err != nil {
			return fmt.Errorf("identity: encode passkey: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO passkeys (id, user_id, credential, sign_count, created_at, last_used_at, trusted_at) VALUES (?, ?, ?, ?, ?, 0, ?)`,
			base64.RawURLEncoding.EncodeToString(cred.ID), userID, string(raw), int64(cred.Authenticator.SignCount), now.UnixMilli(),
			enrolmentTrust(sess, now).UnixMilli()); err != nil {
			if store.IsUniqueViolation(err) {
				outcome = apperr.E(apperr.Conflict, "this passkey is already registered").JA("このパスキーは登録済みです")
				return nil
			}
			return fmt.Errorf("identity: store passkey: %w", err)
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: userID, Action: "passkey.added", IP: c.ip(), UserAgent: c.userAgent(),
			Detail: base64.RawURLEncoding.EncodeToString(cred.ID), At: now}); err != nil {
			return err
		}
		a, err := accountByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		return s.mailUser(ctx, tx, a, tmplFactorAdded, map[string]any{"Factor": "passkey", "IP": c.ip()})
	})
	if err != nil {
		return err
	}
	if outcome != nil {
		return outcome
	}
	s.outbox.Kick()
	return nil
}

// BeginPasskeyLogin starts a discoverable (username-less) passkey login:
// the ceremony id and the PublicKeyCredentialRequest options.
func (s *Service) BeginPasskeyLogin(ctx context.Context, c Client) (string, json.RawMessage, error) {
	if err := s.hit(ctx, "passkey:begin:ip:"+c.ip(), s.lim.LoginIP); err != nil {
		return "", nil, err
	}
	assertion, sd, err := s.wa.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return "", nil, fmt.Errorf("identity: begin passkey login: %w", err)
	}
	opts, err := json.Marshal(assertion)
	if err != nil {
		return "", nil, fmt.Errorf("identity: encode passkey options: %w", err)
	}
	now := s.now()
	var id string
	err = s.db.Write(ctx, func(tx *store.Tx) (err error) {
		id, err = s.saveCeremony(ctx, tx, "", ceremonyLogin, "", sd, now)
		return err
	})
	return id, opts, err
}

// FinishPasskeyLogin verifies a discoverable assertion — origin, RP ID,
// challenge, user verification, signature — and signs the user in. A
// user-verified passkey is a strong authentication on its own: no second
// factor is asked. A signature counter that did not grow is logged as a
// possible clone.
func (s *Service) FinishPasskeyLogin(ctx context.Context, ceremonyID string, assertion []byte, c Client) (LoginResult, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(assertion)
	if err != nil {
		return LoginResult{}, apperr.Wrap(apperr.Invalid, "malformed passkey assertion", err).JA("パスキーの形式が正しくありません")
	}
	if err := s.loginThrottles(ctx, "passkey", false, c); err != nil {
		return LoginResult{}, err
	}
	now := s.now()
	var userID string
	var trustedAt time.Time
	var credVersion int64
	var outcome error
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		outcome = nil
		_, sd, err := takeCeremony(ctx, tx, ceremonyID, ceremonyLogin, "", now)
		if err != nil {
			if apperr.CodeOf(err) == apperr.InvalidCredentials {
				outcome = err
				return nil
			}
			return err
		}
		var loadErr error
		handler := func(rawID, userHandle []byte) (webauthn.User, error) {
			u, err := loadWAUser(ctx, tx, string(userHandle))
			if err != nil {
				loadErr = err
				return nil, err
			}
			return u, nil
		}
		user, cred, err := s.wa.wa.ValidatePasskeyLogin(handler, sd, parsed)
		if loadErr != nil && apperr.CodeOf(loadErr) != apperr.NotFound {
			return loadErr
		}
		if err != nil {
			s.log.Info("identity: passkey assertion refused", "err", err)
			outcome = errPasskey
			return nil
		}
		userID = string(user.WebAuthnID())
		credVersion = user.(*waUser).credVersion
		if cred.Authenticator.CloneWarning {
			s.log.Warn("identity: passkey signature counter did not increase; possible cloned authenticator",
				"user_id", userID, "credential", base64.RawURLEncoding.EncodeToString(cred.ID), "sign_count", cred.Authenticator.SignCount)
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
		trustedAt, err = factorTrust(ctx, tx, userID, FactorPasskey, credID)
		return err
	})
	if err != nil {
		return LoginResult{}, err
	}
	if outcome != nil {
		return LoginResult{}, outcome
	}
	return s.completeLogin(ctx, userID, credVersion, deviceHash(c.DeviceID), c.userAgent(), []string{FactorPasskey}, trustedAt, c, "")
}

// Passkey is a registered passkey as the user sees it.
type Passkey struct {
	ID string
	// Name is what the user called it ("" until named).
	Name                  string
	CreatedAt, LastUsedAt time.Time
}

// Passkeys lists the user's passkeys.
func (s *Service) Passkeys(ctx context.Context, userID string) ([]Passkey, error) {
	rows, err := s.db.Query(ctx, `SELECT id, name, created_at, last_used_at FROM passkeys WHERE user_id = ? ORDER BY created_at LIMIT ?`, userID, passkeysPerUserMax)
	if err != nil {
		return nil, fmt.Errorf("identity: list passkeys: %w", err)
	}
	defer rows.Close()
	out := []Passkey{}
	for rows.Next() {
		var p Passkey
		var created, used int64
		if err := rows.Scan(&p.ID, &p.Name, &created, &used); err != nil {
			return nil, fmt.Errorf("identity: list passkeys: %w", err)
		}
		p.CreatedAt = time.UnixMilli(created).UTC()
		if used > 0 {
			p.LastUsedAt = time.UnixMilli(used).UTC()
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeletePasskey removes one of the user's passkeys (privileged session);
// another user's passkey is apperr.NotFound. The user is told by mail.
func (s *Service) DeletePasskey(ctx context.Context, sess Session, passkeyID string, c Client) error {
	if err := s.RequirePrivileged(ctx, sess); err != nil {
		return err
	}
	now := s.now()
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM passkeys WHERE id = ? AND user_id = ?`, passkeyID, sess.UserID)
		if err != nil {
			return fmt.Errorf("identity: delete passkey: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.E(apperr.NotFound, "passkey not found").JA("パスキーが見つかりません")
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: sess.UserID, Action: "passkey.removed", IP: c.ip(), UserAgent: c.userAgent(), Detail: passkeyID, At: now}); err != nil {
			return err
		}
		a, err := accountByID(ctx, tx, sess.UserID)
		if err != nil {
			return err
		}
		return s.mailUser(ctx, tx, a, tmplFactorRemoved, map[string]any{"Factor": "passkey", "IP": c.ip()})
	})
	if err != nil {
		return err
	}
	s.outbox.Kick()
	return nil
}

// takeOwnCeremony takes the session user's ceremony of kind and loads the
// user for go-webauthn. refused is the answer to give the caller (an
// unknown, used, expired or foreign ceremony: invalid credentials) with a
// nil err, so that the transaction still commits the ceremony's removal.
func takeOwnCeremony(ctx context.Context, tx *store.Tx, ceremonyID, kind, sessUserID string, now time.Time) (u *waUser, sd webauthn.SessionData, refused, err error) {
	userID, sd, err := takeCeremony(ctx, tx, ceremonyID, kind, "", now)
	if err != nil {
		if apperr.CodeOf(err) == apperr.InvalidCredentials {
			return nil, sd, err, nil
		}
		return nil, sd, nil, err
	}
	if userID != sessUserID {
		return nil, sd, errPasskey, nil
	}
	u, err = loadWAUser(ctx, tx, userID)
	return u, sd, nil, err
}
