package notify

import (
	"context"
	"fmt"
)

// Route is a Sender that sends each message through the Sender registered
// for its channel, e.g. Route{ChannelEmail: smtpSender, ChannelSMS: mailbox}
// in development. A channel without a Sender fails with ErrPermanent.
type Route map[string]Sender

// Send delivers m through the Sender of m.Channel.
func (r Route) Send(ctx context.Context, m Message) error {
	s, ok := r[m.Channel]
	if !ok || s == nil {
		return fmt.Errorf("notify: no sender for channel %q: %w", m.Channel, ErrPermanent)
	}
	return s.Send(ctx, m)
}
