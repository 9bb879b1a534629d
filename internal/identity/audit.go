package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// AuditEvent is one credential or account event for the audit log
// (package audit): who (Actor: a user id, "system", or an operator), about
// which user, what, when, and from where.
type AuditEvent struct {
	UserID    string // the account the event concerns
	Actor     string // who did it
	Action    string // e.g. "password.reset", "totp.added"
	IP        string
	UserAgent string
	Detail    string // never a secret
	At        time.Time
}

// Audit appends e to the audit log in tx: the event is recorded iff the
// change it describes commits, and is linked into the hash chain shortly
// after.
func (s *Service) Audit(ctx context.Context, tx *store.Tx, e AuditEvent) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	if e.Actor == "" {
		e.Actor = e.UserID
	}
	if err := audit.Append(ctx, tx, audit.Entry{At: e.At, Actor: e.Actor, Action: e.Action, Target: e.UserID,
		IP: e.IP, UserAgent: e.UserAgent, Details: e.Detail}); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	return nil
}

// AuditLog returns the newest audit events of a user, newest first, at
// most limit (≤ 500).
func (s *Service) AuditLog(ctx context.Context, userID string, limit int) ([]AuditEvent, error) {
	entries, err := audit.ByTarget(ctx, s.db, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	out := make([]AuditEvent, len(entries))
	for i, e := range entries {
		out[i] = AuditEvent{UserID: e.Target, Actor: e.Actor, Action: e.Action, IP: e.IP, UserAgent: e.UserAgent, Detail: e.Details, At: e.At}
	}
	return out, nil
}
