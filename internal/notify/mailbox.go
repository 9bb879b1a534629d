package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// mailboxListMax bounds what List returns and what the mailbox keeps per
// recipient: a walkthrough reads the last few messages, never hundreds.
const mailboxListMax = 100

// Mailbox is the sandbox's message store (demo mode, development without
// SMTP). It implements Sender by storing each message in a table, where
// GET /sandbox/api/messages reads it back. It must never be the sender in
// production: anyone who can call that route reads every one-time code.
type Mailbox struct {
	db  *store.DB
	now func() time.Time
}

// NewMailbox returns the mailbox on db (migrated with Migrations).
func NewMailbox(db *store.DB) *Mailbox {
	return &Mailbox{db: db, now: time.Now}
}

// Send stores m under its normalised recipient, stamped with the current
// time, and drops that recipient's messages beyond the newest
// mailboxListMax.
func (mb *Mailbox) Send(ctx context.Context, m Message) error {
	to := addrKey(m.To)
	now := mb.now()
	return mb.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO notify_mailbox (recipient, channel, subject, body, sent_at) VALUES (?, ?, ?, ?, ?)`,
			to, m.Channel, m.Subject, m.Body, now.UnixMilli()); err != nil {
			return fmt.Errorf("notify: store in mailbox: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM notify_mailbox WHERE recipient = ? AND id <= (
			SELECT id FROM notify_mailbox WHERE recipient = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
			to, to, mailboxListMax); err != nil {
			return fmt.Errorf("notify: prune mailbox: %w", err)
		}
		return nil
	})
}

// List returns the messages stored for the address to, oldest first and
// newest last, at most the newest mailboxListMax. Addresses match after
// trimming and lower-casing. No messages is an empty slice, not an error.
func (mb *Mailbox) List(ctx context.Context, to string) ([]Message, error) {
	rows, err := mb.db.Query(ctx, `SELECT recipient, channel, subject, body, sent_at FROM notify_mailbox
		WHERE recipient = ? ORDER BY id DESC LIMIT ?`, addrKey(to), mailboxListMax)
	if err != nil {
		return nil, fmt.Errorf("notify: list mailbox: %w", err)
	}
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		var m Message
		var sentAt int64
		if err := rows.Scan(&m.To, &m.Channel, &m.Subject, &m.Body, &sentAt); err != nil {
			return nil, fmt.Errorf("notify: read mailbox: %w", err)
		}
		m.SentAt = time.UnixMilli(sentAt).UTC()
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notify: read mailbox: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
