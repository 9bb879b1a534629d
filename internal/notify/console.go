package notify

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Console is the Sender of local development without an SMTP relay and
// without --demo: it prints each message, one-time codes and reset tokens
// included, to a terminal (saifu serve's standard output), where the
// developer reads them. Nothing is readable over HTTP. It exists only for
// that case: saifu serve uses it on embedded SQLite alone, and refuses to
// start on PostgreSQL without --smtp-url, so that a production log never
// receives a mail body.
type Console struct {
	mu sync.Mutex // one message's lines stay together
	w  io.Writer
}

// NewConsole returns a Console that prints to w.
func NewConsole(w io.Writer) *Console { return &Console{w: w} }

// Send prints m between two rulers naming its recipient and channel.
func (c *Console) Send(_ context.Context, m Message) error {
	var b strings.Builder
	fmt.Fprintf(&b, "----- %s to %s (not delivered: development console, no --smtp-url) -----\n", m.Channel, m.To)
	if m.Subject != "" {
		fmt.Fprintf(&b, "Subject: %s\n\n", m.Subject)
	}
	b.WriteString(strings.TrimRight(m.Body, "\n"))
	b.WriteString("\n----- end of message -----\n")
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.w, b.String()); err != nil {
		return fmt.Errorf("notify: print to console: %w", err)
	}
	return nil
}
