package identity

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/activity"
	"github.com/saifu-pay/saifu/internal/store"
)

// Identity's events for the operators' incident search (package
// activity), read from its audit entries: the audit log keeps them for
// ever, with the client's address, and indexes them by action and time
// (audit's migration 005). A sign-in's and a password reset's details also
// say which device they came from and whether it was new to the user
// (deviceFacts); entries written before the search existed do not.
var activitySources = []activity.Source{
	{Kind: activity.LoginNewDevice, SQL: auditEventsSQL(`action = 'login.new_device'`), Scan: scanAuditEvent(activity.LoginNewDevice)},
	{Kind: activity.PasswordReset, SQL: auditEventsSQL(`action = 'password.reset'`), Scan: scanAuditEvent(activity.PasswordReset)},
	{Kind: activity.EmailChange, SQL: auditEventsSQL(`action = 'email.changed'`), Scan: scanAuditEvent(activity.EmailChange)},
	{Kind: activity.FactorChange, SQL: auditEventsSQL(`action IN ('totp.added', 'totp.removed', 'passkey.added', 'passkey.removed')`),
		Scan: scanAuditEvent(activity.FactorChange)},
}

func auditEventsSQL(action string) string {
	return `SELECT COALESCE(seq, 0), target, at, ip, action, details FROM audit_log WHERE ` + action + ` AND at >= ? AND at <= ?`
}

func scanAuditEvent(kind string) func(rows *sql.Rows) (activity.Event, error) {
	return func(rows *sql.Rows) (activity.Event, error) {
		var e activity.Event
		var seq, at int64
		var action, details string
		if err := rows.Scan(&seq, &e.UserID, &at, &e.IP, &action, &details); err != nil {
			return activity.Event{}, err
		}
		e.Ref, e.At = activity.RefOfSeq(seq), time.UnixMilli(at).UTC()
		if kind == activity.FactorChange {
			e.Detail = action
		}
		if activity.KnowsDevice(kind) {
			e.Device, e.NewDevice = readDeviceFacts(details)
			e.NewDevice = e.NewDevice || kind == activity.LoginNewDevice
		}
		return e, nil
	}
}

// Activity returns identity's events of q's kinds (the others it leaves
// to their producers), at most q.Limit+1 (activity.Read).
func (s *Service) Activity(ctx context.Context, q activity.Query) ([]activity.Event, error) {
	return activity.Read(ctx, s.db, q, activitySources)
}

// emailsBatch bounds the ids of one query of Emails.
const emailsBatch = 500

// Emails returns the address of each user of ids that exists.
func (s *Service) Emails(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for len(ids) > 0 {
		batch := ids[:min(len(ids), emailsBatch)]
		ids = ids[len(batch):]
		if err := s.emailsOf(ctx, batch, out); err != nil {
			return nil, fmt.Errorf("identity: read addresses: %w", err)
		}
	}
	return out, nil
}

func (s *Service) emailsOf(ctx context.Context, ids []string, out map[string]string) error {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.Query(ctx, `SELECT id, email FROM users WHERE id `+store.In(len(ids)), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, email string
		if err := rows.Scan(&id, &email); err != nil {
			return err
		}
		out[id] = email
	}
	return rows.Err()
}

// deviceFacts is what a sign-in's or a reset's audit details say of the
// device it came from, for the incident search: " device=<key>" when the
// caller presented a device cookie (its key: the first digits of the hash
// devices are stored under, never the cookie), and " new_device=true"
// when the device was new to the user (no cookie counts as new).
func deviceFacts(devHash string, isNew bool) string {
	var b strings.Builder
	if len(devHash) >= activity.DeviceKeyLen {
		b.WriteString(" device=" + devHash[:activity.DeviceKeyLen])
	}
	if isNew {
		b.WriteString(" new_device=true")
	}
	return b.String()
}

// readDeviceFacts reads back what deviceFacts wrote.
func readDeviceFacts(details string) (device string, isNew bool) {
	for _, f := range strings.Fields(details) {
		if v, ok := strings.CutPrefix(f, "device="); ok && activity.ValidDeviceKey(v) {
			device = v
		}
		if f == "new_device=true" {
			isNew = true
		}
	}
	return device, isNew
}
