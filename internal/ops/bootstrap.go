package ops

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/identity/emailaddr"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
)

// BootstrapTokenTTL is how long a bootstrap token can be used.
const BootstrapTokenTTL = time.Hour

// actorBootstrap is the audit actor of the bootstrap token's holder.
const actorBootstrap = "bootstrap"

var (
	errAdminExists  = apperr.E(apperr.Conflict, "an admin operator exists: ask an admin for an invitation").JA("管理者が既に存在します。管理者に招待を依頼してください")
	errBadBootstrap = apperr.E(apperr.InvalidCredentials, "the bootstrap token is wrong, used or expired; run saifu ops bootstrap for a new one").JA("ブートストラップトークンが正しくないか、使用済みまたは期限切れです")
)

// Enrolment is what a new operator sees once: the TOTP seed to put in an
// authenticator app, also as an otpauth:// URI.
type Enrolment struct {
	OperatorID string
	TOTPSecret string
	OTPAuthURI string
}

// IssueBootstrapToken makes the one-time token that creates the first
// admin (saifu ops bootstrap): valid BootstrapTokenTTL, used once, stored
// only as its hash, and replacing any earlier unused one. Refused
// (apperr.Conflict) once an active admin exists. It needs only the
// database (migrated with Migrations and audit's): no server secret.
func IssueBootstrapToken(ctx context.Context, db *store.DB, now time.Time) (token string, expires time.Time, err error) {
	token, expires = randomToken(bootstrapTokenPrefix), now.Add(BootstrapTokenTTL)
	err = db.Write(ctx, func(tx *store.Tx) error {
		if exists, err := activeAdminExists(ctx, tx); err != nil || exists {
			if exists {
				return errAdminExists
			}
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ops_bootstrap (id, token_hash, expires_at, used_at) VALUES (1, ?, ?, 0)
			ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, expires_at = excluded.expires_at, used_at = 0`,
			hashToken(token), expires.UnixMilli()); err != nil {
			return fmt.Errorf("ops: store bootstrap token: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: "system", Action: "operator.bootstrap_token_issued",
			Details: "expires " + expires.UTC().Format(time.RFC3339)})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return token, expires, nil
}

// Bootstrap spends a bootstrap token on the first admin: email, password
// (the user password policy) and a new TOTP seed, returned once. The admin
// is pending until its first login with a TOTP code. A pending admin of an
// earlier bootstrap (whose seed was lost before that login) is replaced.
// Errors: apperr.InvalidCredentials for a wrong, used or expired token;
// apperr.Conflict once an active admin exists; apperr.Invalid for the
// address or password. A refused call changes nothing.
func (o *Operators) Bootstrap(ctx context.Context, token, email, pw string) (Enrolment, error) {
	if !validToken(token, bootstrapTokenPrefix) {
		return Enrolment{}, errBadBootstrap
	}
	norm, err := emailaddr.Normalize(email)
	if err != nil {
		return Enrolment{}, err
	}
	// The token is checked before any hash is computed: a guessed token
	// costs a read, not an argon2id run.
	if err := o.checkBootstrapToken(ctx, token); err != nil {
		return Enrolment{}, err
	}
	id := newID("op")
	c, err := o.newCredentials(ctx, id, norm, pw)
	if err != nil {
		return Enrolment{}, err
	}
	now := o.now()
	err = o.db.Write(ctx, func(tx *store.Tx) error {
		// The conditional update decides: of parallel uses, one spends it.
		res, err := tx.Exec(ctx, `UPDATE ops_bootstrap SET used_at = ? WHERE id = 1 AND token_hash = ? AND used_at = 0 AND expires_at > ?`,
			now.UnixMilli(), hashToken(token), now.UnixMilli())
		if err != nil {
			return fmt.Errorf("ops: spend bootstrap token: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errBadBootstrap
		}
		// Pending admins of earlier bootstraps go first (locking their
		// rows against a first login in flight), then the check.
		if _, err := tx.Exec(ctx, `DELETE FROM ops_operators WHERE status = ? AND created_by = ?`, StatusPending, actorBootstrap); err != nil {
			return fmt.Errorf("ops: drop pending bootstrap admin: %w", err)
		}
		if exists, err := activeAdminExists(ctx, tx); err != nil || exists {
			if exists {
				return errAdminExists
			}
			return err
		}
		return insertOperator(ctx, tx, newOperator{id: id, email: norm, lang: notify.LangJA, creds: c, roles: []string{RoleAdmin}, by: actorBootstrap}, now)
	})
	if err != nil {
		return Enrolment{}, err
	}
	return c.enrolment(id), nil
}

// checkBootstrapToken refuses, with a read, a token that is not the
// outstanding, unused, unexpired one.
func (o *Operators) checkBootstrapToken(ctx context.Context, token string) error {
	var n int64
	err := o.db.QueryRow(ctx, `SELECT COUNT(*) FROM ops_bootstrap WHERE id = 1 AND token_hash = ? AND used_at = 0 AND expires_at > ?`,
		hashToken(token), o.now().UnixMilli()).Scan(&n)
	if err != nil {
		return fmt.Errorf("ops: read bootstrap token: %w", err)
	}
	if n != 1 {
		return errBadBootstrap
	}
	return nil
}

// newOperator is an operator about to be created: its address
// (normalised), mail language, credentials, roles (checked), and who
// creates it (an audit actor).
type newOperator struct {
	id, email, lang string
	creds           credentials
	roles           []string
	by              string
}

// errOperatorExists answers an address that an operator has.
var errOperatorExists = apperr.E(apperr.Conflict, "an operator with this email address exists").JA("このメールアドレスのオペレーターは既に存在します")

// insertOperator creates a pending operator with roles, and audits it.
func insertOperator(ctx context.Context, tx *store.Tx, n newOperator, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO ops_operators (id, email, email_key, password_hash, totp_secret, totp_last_step, status, created_by, created_at, activated_at, lang)
		VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, 0, ?)`, n.id, n.email, emailaddr.Key(n.email), n.creds.phc, n.creds.sealed, StatusPending, n.by, now.UnixMilli(), n.lang)
	if store.IsUniqueViolation(err) {
		return errOperatorExists
	}
	if err != nil {
		return fmt.Errorf("ops: insert operator: %w", err)
	}
	for _, r := range n.roles {
		if _, err := tx.Exec(ctx, `INSERT INTO ops_operator_roles (operator_id, role) VALUES (?, ?)`, n.id, r); err != nil {
			return fmt.Errorf("ops: insert role: %w", err)
		}
	}
	return audit.Append(ctx, tx, audit.Entry{At: now, Actor: n.by, Action: "operator.created", Target: "operator:" + n.id,
		Details: fmt.Sprintf("email=%s roles=%v", n.email, n.roles)})
}
