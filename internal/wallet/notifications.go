package wallet

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
)

// Notification is one thing the user was told.
type Notification struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// notificationsPageMax bounds one page of GET /api/v1/notifications.
const notificationsPageMax = 100

// Notify tells the user about kind (a template name under
// internal/notify/templates, e.g. "wallet_payment"; an unknown kind falls
// back to the generic "wallet_notice" template listing data): it records
// the notification and queues the mail in the user's language, in one
// transaction.
func (s *Service) Notify(ctx context.Context, userID, kind string, data map[string]any) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return s.notifyTx(ctx, tx, userID, kind, data) })
}

// NotifyTx is Notify inside the caller's transaction tx (the operators'
// freeze tells the user in the transaction that freezes); call Kick after
// tx commits.
func (s *Service) NotifyTx(ctx context.Context, tx *store.Tx, userID, kind string, data map[string]any) error {
	return s.notifyTx(ctx, tx, userID, kind, data)
}

// Kick wakes the mail outbox after a transaction that queued a notice
// (NotifyTx) committed.
func (s *Service) Kick() { s.kick() }

// notifyTx is Notify inside the caller's transaction.
func (s *Service) notifyTx(ctx context.Context, tx *store.Tx, userID, kind string, data map[string]any) error {
	u, err := s.id.User(ctx, userID)
	if err != nil {
		return fmt.Errorf("wallet: notify: %w", err)
	}
	// The mail carries the user's anti-phishing phrase (it proves the
	// mail is saifu's); the notice in the app does not: whoever holds a
	// session — a password thief on a new device too — reads notices, and
	// the phrase must stay the owner's.
	_, inApp, err := renderNotice(kind, u.Lang, data, "")
	if err != nil {
		return err
	}
	subject, body, err := renderNotice(kind, u.Lang, data, u.AntiPhishing)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO wallet_notifications (id, user_id, kind, subject, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		newID("ntf_"), userID, kind, subject, inApp, ms(s.now())); err != nil {
		return fmt.Errorf("wallet: record notification: %w", err)
	}
	if u.Email == "" || s.outbox == nil {
		return nil
	}
	if err := s.outbox.Enqueue(ctx, tx, notify.Message{To: u.Email, Channel: notify.ChannelEmail, Subject: subject, Body: body}); err != nil {
		return fmt.Errorf("wallet: queue notification: %w", err)
	}
	return nil
}

// renderNotice renders a notice of kind in lang with data and the
// anti-phishing phrase ("": none); a kind without a template is the
// general notice listing data.
func renderNotice(kind, lang string, data map[string]any, phrase string) (subject, body string, err error) {
	d := map[string]any{"AntiPhishing": phrase}
	for k, v := range data {
		d[k] = v
	}
	subject, body, err = notify.Render(kind, lang, d)
	if err == nil {
		return subject, body, nil
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	details := make([]string, 0, len(keys))
	for _, k := range keys {
		details = append(details, fmt.Sprintf("%s: %v", k, data[k]))
	}
	d["Kind"], d["Details"] = kind, details
	if subject, body, err = notify.Render("wallet_notice", lang, d); err != nil {
		return "", "", fmt.Errorf("wallet: notify: %w", err)
	}
	return subject, body, nil
}

// kick wakes the outbox after a transaction that queued mail committed.
func (s *Service) kick() {
	if s.outbox != nil {
		s.outbox.Kick()
	}
}

// Notifications returns the user's notifications, newest first, at most
// limit (1–100).
func (s *Service) Notifications(ctx context.Context, userID string, limit int) ([]Notification, error) {
	if limit <= 0 || limit > notificationsPageMax {
		limit = notificationsPageMax
	}
	rows, err := s.db.Query(ctx, `SELECT id, kind, subject, body, created_at FROM wallet_notifications
		WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("wallet: list notifications: %w", err)
	}
	defer rows.Close()
	out := []Notification{}
	for rows.Next() {
		var n Notification
		var at int64
		if err := rows.Scan(&n.ID, &n.Kind, &n.Subject, &n.Body, &at); err != nil {
			return nil, fmt.Errorf("wallet: list notifications: %w", err)
		}
		n.CreatedAt = fromMS(at)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(apperr.Internal, "list notifications", err)
	}
	return out, nil
}
