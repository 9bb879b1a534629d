package ops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/identity/emailaddr"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/store"
)

// Bounds on what a login presents before anything is looked up.
const (
	// passwordBytesMax: the policy allows 128 characters of up to four
	// bytes; anything longer is refused unhashed.
	passwordBytesMax = 512
	// userAgentBytesMax bounds the user agent stored with a session.
	userAgentBytesMax = 256
)

// errBadLogin is the one answer to a wrong address, password or code, so
// that a caller cannot learn which of the three was wrong.
var errBadLogin = apperr.E(apperr.InvalidCredentials, "wrong email address, password or authenticator code").JA("メールアドレス、パスワード、または認証コードが違います")

// Rate is at most N events per Window.
type Rate struct {
	N      int
	Window time.Duration
}

// LoginLimits are the operator login throttles, counted before any hash.
type LoginLimits struct {
	IP      Rate // per client address
	Account Rate // per operator address, known or not
	Global  Rate // every operator login of the service
}

// DefaultLoginLimits: operators are few and log in a few times a day; an
// address or account past these is guessing.
var DefaultLoginLimits = LoginLimits{
	IP:      Rate{N: 20, Window: time.Minute},
	Account: Rate{N: 10, Window: 15 * time.Minute},
	Global:  Rate{N: 50, Window: time.Minute},
}

func (l LoginLimits) withDefaults() LoginLimits {
	if l.IP.N <= 0 {
		l.IP = DefaultLoginLimits.IP
	}
	if l.Account.N <= 0 {
		l.Account = DefaultLoginLimits.Account
	}
	if l.Global.N <= 0 {
		l.Global = DefaultLoginLimits.Global
	}
	return l
}

// Client describes who calls: the client address (resolved through
// trusted proxies by the HTTP layer) and the user agent.
type Client struct {
	IP        string
	UserAgent string
}

func (c Client) userAgent() string {
	ua := strings.ToValidUTF8(c.UserAgent, "")
	for len(ua) > userAgentBytesMax {
		_, size := utf8.DecodeLastRuneInString(ua)
		ua = ua[:len(ua)-size]
	}
	return ua
}

// LoginResult is a new operator session: the token (shown once) and the
// session it opens.
type LoginResult struct {
	Token   string
	Session Session
}

// Login checks an operator's address, password and TOTP code, all three
// always: a missing or wrong one is apperr.InvalidCredentials, the same
// answer for each. The throttles run first, so a refused attempt costs no
// hash; an unknown address costs a dummy hash. A code is accepted once (a
// replay is refused), and a pending operator's first login activates it.
//
// A refused attempt on an operator's address is audited
// ("operator.login_failed", with its reason class: password, code_missing,
// code_wrong, code_replayed; never the password or code). One on an
// unknown address is not: only the throttles count it. The entries are
// thus bounded by the throttles, which run before: at most
// Limits.Account.N per operator per window, Limits.Global.N in all.
func (o *Operators) Login(ctx context.Context, email, pw, code string, c Client) (LoginResult, error) {
	norm, err := emailaddr.Normalize(email)
	if err != nil || pw == "" || len(pw) > passwordBytesMax {
		return LoginResult{}, errBadLogin
	}
	key := emailaddr.Key(norm)
	if err := o.loginThrottles(ctx, key, c); err != nil {
		return LoginResult{}, err
	}
	var (
		id, phc, sealed string
		lastStep        int64
	)
	err = o.db.QueryRow(ctx, `SELECT id, password_hash, totp_secret, totp_last_step FROM ops_operators WHERE email_key = ?`, key).
		Scan(&id, &phc, &sealed, &lastStep)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNoRows) {
		return LoginResult{}, fmt.Errorf("ops: read operator: %w", err)
	}
	ok := false
	if exists {
		if ok, _, err = o.hasher.Verify(ctx, pw, phc); err != nil {
			return LoginResult{}, err
		}
	} else {
		o.hasher.DummyVerify(ctx)
		return LoginResult{}, errBadLogin
	}
	if !ok {
		return LoginResult{}, o.loginFailed(ctx, id, failPassword, c)
	}
	secret, err := o.box.Open(sealed, totpAAD(id))
	if err != nil {
		return LoginResult{}, fmt.Errorf("ops: open totp: %w", err)
	}
	now := o.now()
	step, ok := totp.Validate(string(secret), code, now, lastStep)
	if !ok {
		why := failCodeWrong
		if strings.TrimSpace(code) == "" {
			why = failCodeMissing
		} else if _, valid := totp.Validate(string(secret), code, now, -1); valid {
			why = failCodeReplayed // right, but its step was used already
		}
		return LoginResult{}, o.loginFailed(ctx, id, why, c)
	}
	res, err := o.openSession(ctx, id, step, c, now)
	if errors.Is(err, errBadLogin) {
		return LoginResult{}, o.loginFailed(ctx, id, failCodeReplayed, c)
	}
	return res, err
}

// The reason classes of "operator.login_failed".
const (
	failPassword     = "password"
	failCodeMissing  = "code_missing"
	failCodeWrong    = "code_wrong"
	failCodeReplayed = "code_replayed"
)

// actorAnonymous is the audit actor of a caller not (yet) authenticated.
const actorAnonymous = "anonymous"

// loginFailed audits a refused login on operator id's address, and
// returns errBadLogin.
func (o *Operators) loginFailed(ctx context.Context, id, why string, c Client) error {
	now := o.now()
	if err := o.db.Write(ctx, func(tx *store.Tx) error {
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: actorAnonymous, Action: "operator.login_failed",
			Target: "operator:" + id, IP: c.IP, UserAgent: c.userAgent(), Details: "reason=" + why})
	}); err != nil {
		return err
	}
	return errBadLogin
}

// loginThrottles counts a login attempt against each login limit (throttle).
func (o *Operators) loginThrottles(ctx context.Context, key string, c Client) error {
	return o.throttle(ctx, "ops:login", key, c)
}

// throttle counts an attempt of kind (its buckets' prefix) against each
// limit of Limits, the caller's address first (so a flood from one address
// does not use up the account's budget of its owner), then the service's,
// then, when key is not empty, the account's.
func (o *Operators) throttle(ctx context.Context, kind, key string, c Client) error {
	l := o.cfg.Limits
	buckets := []struct {
		key string
		r   Rate
	}{
		{kind + ":ip:" + c.IP, l.IP},
		{kind + ":global", l.Global},
	}
	if key != "" {
		buckets = append(buckets, struct {
			key string
			r   Rate
		}{kind + ":acct:" + key, l.Account})
	}
	for _, b := range buckets {
		allowed, retry, err := o.limiter.Hit(ctx, b.key, b.r.N, b.r.Window)
		if err != nil {
			return fmt.Errorf("ops: throttle: %w", err)
		}
		if !allowed {
			e := apperr.E(apperr.RateLimited, "too many attempts; try again later").JA("試行回数が多すぎます。しばらくしてからお試しください")
			e.RetryAfter = max(retry, time.Second)
			return e
		}
	}
	return nil
}

// openSession records the accepted TOTP step (refusing a code whose step
// another login already used), activates a pending operator, and creates
// the session, in one transaction.
func (o *Operators) openSession(ctx context.Context, id string, step int64, c Client, now time.Time) (LoginResult, error) {
	token := randomToken(sessionTokenPrefix)
	var (
		res    LoginResult
		notice bool
	)
	err := o.db.Write(ctx, func(tx *store.Tx) error {
		r, err := tx.Exec(ctx, `UPDATE ops_operators SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, id, step)
		if err != nil {
			return fmt.Errorf("ops: record totp step: %w", err)
		}
		if n, err := r.RowsAffected(); err != nil || n != 1 {
			return errBadLogin // replayed meanwhile, or the operator is gone
		}
		act, err := tx.Exec(ctx, `UPDATE ops_operators SET status = ?, activated_at = ? WHERE id = ? AND status = ?`,
			StatusActive, now.UnixMilli(), id, StatusPending)
		if err != nil {
			return fmt.Errorf("ops: activate operator: %w", err)
		}
		activated, _ := act.RowsAffected()
		if activated == 1 {
			if err := audit.Append(ctx, tx, audit.Entry{At: now, Actor: "operator:" + id, Action: "operator.activated",
				Target: "operator:" + id, IP: c.IP, UserAgent: c.userAgent()}); err != nil {
				return err
			}
		}
		op, err := operatorByID(ctx, tx, id)
		if err != nil {
			return err
		}
		// The operator's row is locked (the step update above), so logins
		// of one operator remember their devices one at a time.
		newDevice, err := rememberDevice(ctx, tx, id, c, now)
		if err != nil {
			return err
		}
		// The first login, which activates the operator, is from the
		// device they enrolled on: no notice for it.
		if notice = newDevice && activated == 0; notice {
			if err := o.mailNewDevice(ctx, tx, op, c, now); err != nil {
				return err
			}
		}
		sess := Session{ID: newID("opsess"), Operator: op, CreatedAt: now, ExpiresAt: now.Add(o.cfg.SessionAbsolute)}
		if _, err := tx.Exec(ctx, `INSERT INTO ops_sessions (id, token_hash, operator_id, ip, user_agent, created_at, last_seen_at, expires_at, ended_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`, sess.ID, hashToken(token), id, c.IP, c.userAgent(),
			now.UnixMilli(), now.UnixMilli(), sess.ExpiresAt.UnixMilli()); err != nil {
			return fmt.Errorf("ops: create session: %w", err)
		}
		res = LoginResult{Token: token, Session: sess}
		details := "session=" + sess.ID
		if notice {
			details += " new_device"
		}
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: sess.actor(), Action: "operator.login",
			Target: "operator:" + id, IP: c.IP, UserAgent: c.userAgent(), Details: details})
	})
	if err != nil {
		return LoginResult{}, err
	}
	if notice {
		o.outbox.Kick()
	}
	return res, nil
}

// operatorByID reads an operator and its roles.
func operatorByID(ctx context.Context, tx *store.Tx, id string) (Operator, error) {
	op := Operator{ID: id}
	err := tx.QueryRow(ctx, `SELECT email, status FROM ops_operators WHERE id = ?`, id).Scan(&op.Email, &op.Status)
	if errors.Is(err, store.ErrNoRows) {
		return Operator{}, apperr.E(apperr.NotFound, "no such operator").JA("オペレーターが見つかりません")
	}
	if err != nil {
		return Operator{}, fmt.Errorf("ops: read operator: %w", err)
	}
	if op.Roles, err = operatorRoles(ctx, tx, id); err != nil {
		return Operator{}, err
	}
	return op, nil
}

// mailNewDevice tells op, in tx, of a login from a device they had not
// logged in from.
func (o *Operators) mailNewDevice(ctx context.Context, tx *store.Tx, op Operator, c Client, now time.Time) error {
	var lang string
	if err := tx.QueryRow(ctx, `SELECT lang FROM ops_operators WHERE id = ?`, op.ID).Scan(&lang); err != nil {
		return fmt.Errorf("ops: read operator language: %w", err)
	}
	ip := c.IP
	if ip == "" {
		ip = "?"
	}
	return o.mail(ctx, tx, op.Email, lang, tmplNewDevice, map[string]any{"IP": ip, "UserAgent": c.userAgent(), "Time": now})
}
