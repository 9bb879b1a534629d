package ops

import (
	"context"
	"fmt"

	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
)

// Mail templates of operators (internal/notify/templates/NAME.LANG.txt).
// Like every saifu mail they carry no link and no attachment: a token is
// typed or pasted, never clicked.
const (
	tmplInvite    = "ops_invite"
	tmplNewDevice = "ops_new_device"
)

// langOrDefault is lang when saifu writes mails in it, else Japanese.
func langOrDefault(lang string) string {
	if lang == notify.LangEN {
		return notify.LangEN
	}
	return notify.LangJA
}

// mail renders tmpl in lang and enqueues it to addr inside tx: it is sent
// iff tx commits. Call o.outbox.Kick() after the commit.
func (o *Operators) mail(ctx context.Context, tx *store.Tx, to, lang, tmpl string, data map[string]any) error {
	data["Email"] = to
	subject, body, err := notify.Render(tmpl, langOrDefault(lang), data)
	if err != nil {
		return fmt.Errorf("ops: render %s: %w", tmpl, err)
	}
	if err := o.outbox.Enqueue(ctx, tx, notify.Message{To: to, Channel: notify.ChannelEmail, Subject: subject, Body: body}); err != nil {
		return fmt.Errorf("ops: enqueue %s: %w", tmpl, err)
	}
	return nil
}
