package identity

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// Bounds of an OperatorView.
const (
	// viewLoginsMax: the recent login attempts shown (a support call
	// looks at the last days, not the history).
	viewLoginsMax = 20
	// viewDevicesMax: the devices shown, most recently seen first.
	viewDevicesMax = 50
	// viewEventsMax: the credential and account changes shown.
	viewEventsMax = 50
	// viewEventsScanMax: the audit entries of the user read to find them
	// and the factors' enrolment times (audit.ByTarget's page bound).
	viewEventsScanMax = 500
)

// credentialActions are the prefixes of the audit actions that change a
// user's credentials, contact or account state.
var credentialActions = []string{"password.", "totp.", "passkey.", "recovery_code", "email.", "anti_phishing.", "account.", "session", "user.", "kyc."}

// OperatorView is what an operator's support page shows of a user:
// never a secret (no hash, seed, token or device id).
type OperatorView struct {
	User
	// PasswordSetAt is when the password was last set (sign-up, reset
	// or change); TOTPEnrolledAt when the authenticator app was (zero:
	// none); Passkeys when each passkey was registered.
	PasswordSetAt     time.Time
	TOTPEnrolledAt    time.Time
	Passkeys          []time.Time
	RecoveryCodesLeft int
	Sessions          []Session
	Devices           []Device
	Logins            []LoginAttempt
	// Events are the newest credential and account changes.
	Events []AuditEvent
}

// Device is a device a user signed in from.
type Device struct {
	UserAgent                         string
	FirstSeen, LastSeen, RecognisedAt time.Time
}

// LoginAttempt is one password login attempt on the user's address.
type LoginAttempt struct {
	At time.Time
	IP string
	OK bool
}

// OperatorView returns what an operator sees of user id (the operator
// API audits the read); apperr.NotFound for an unknown user.
func (s *Service) OperatorView(ctx context.Context, id string) (OperatorView, error) {
	var v OperatorView
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		a, err := accountByID(ctx, tx, id)
		if err != nil {
			return err
		}
		v.User = a.User
		if v.RecoveryCodesLeft, err = recoveryCodesLeft(ctx, tx, id); err != nil {
			return err
		}
		if v.Passkeys, err = times(ctx, tx, `SELECT created_at FROM passkeys WHERE user_id = ? ORDER BY created_at`, id); err != nil {
			return fmt.Errorf("identity: read passkeys: %w", err)
		}
		if v.Devices, err = devicesOf(ctx, tx, id); err != nil {
			return err
		}
		v.Logins, err = loginsOf(ctx, tx, a.emailKey)
		if err != nil {
			return err
		}
		if a.totpSecret != "" {
			v.TOTPEnrolledAt = a.CreatedAt // until an audit entry says when
		}
		return nil
	})
	if err != nil {
		return OperatorView{}, err
	}
	if v.Sessions, err = s.Sessions(ctx, id); err != nil {
		return OperatorView{}, err
	}
	events, err := s.AuditLog(ctx, id, viewEventsScanMax)
	if err != nil {
		return OperatorView{}, err
	}
	v.PasswordSetAt = v.CreatedAt
	passwordSeen, totpSeen := false, false
	for _, e := range events { // newest first
		switch {
		case !passwordSeen && (e.Action == "password.changed" || e.Action == "password.reset"):
			v.PasswordSetAt, passwordSeen = e.At, true
		case !totpSeen && e.Action == "totp.added" && !v.TOTPEnrolledAt.IsZero():
			v.TOTPEnrolledAt, totpSeen = e.At, true
		}
		if len(v.Events) < viewEventsMax && isCredentialAction(e.Action) {
			v.Events = append(v.Events, e)
		}
	}
	return v, nil
}

func isCredentialAction(action string) bool {
	for _, p := range credentialActions {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

func times(ctx context.Context, tx *store.Tx, q string, args ...any) ([]time.Time, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var ms int64
		if err := rows.Scan(&ms); err != nil {
			return nil, err
		}
		out = append(out, time.UnixMilli(ms).UTC())
	}
	return out, rows.Err()
}

func devicesOf(ctx context.Context, tx *store.Tx, userID string) ([]Device, error) {
	rows, err := tx.Query(ctx, `SELECT user_agent, first_seen, last_seen, recognised_at FROM devices WHERE user_id = ?
		ORDER BY last_seen DESC LIMIT ?`, userID, viewDevicesMax)
	if err != nil {
		return nil, fmt.Errorf("identity: read devices: %w", err)
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		var d Device
		var first, last, recognised int64
		if err := rows.Scan(&d.UserAgent, &first, &last, &recognised); err != nil {
			return nil, fmt.Errorf("identity: read devices: %w", err)
		}
		d.FirstSeen, d.LastSeen, d.RecognisedAt = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC(), time.UnixMilli(recognised).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

func loginsOf(ctx context.Context, tx *store.Tx, emailKey string) ([]LoginAttempt, error) {
	rows, err := tx.Query(ctx, `SELECT at, ip, ok FROM login_attempts WHERE account = ? ORDER BY at DESC LIMIT ?`, emailKey, viewLoginsMax)
	if err != nil {
		return nil, fmt.Errorf("identity: read login attempts: %w", err)
	}
	defer rows.Close()
	var out []LoginAttempt
	for rows.Next() {
		var l LoginAttempt
		var at, ok int64
		if err := rows.Scan(&at, &l.IP, &ok); err != nil {
			return nil, fmt.Errorf("identity: read login attempts: %w", err)
		}
		l.At, l.OK = time.UnixMilli(at).UTC(), ok == 1
		out = append(out, l)
	}
	return out, rows.Err()
}
