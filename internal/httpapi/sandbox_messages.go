package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/notify"
)

// sandboxRecipientBytesMax bounds the to parameter (the longest address).
const sandboxRecipientBytesMax = 254

// handleSandboxMessages serves GET /sandbox/api/messages?to=ADDR: every
// mail and SMS delivered to ADDR in the sandbox mailbox, oldest first, at
// most the newest 100. It reveals one-time codes and reset tokens, so
// saifu serve gives a Mailbox only with --demo (internal/app chooseMail);
// otherwise the route does not exist and /sandbox/ is 404 throughout.
func handleSandboxMessages(mb *notify.Mailbox) http.Handler {
	type item struct {
		To      string    `json:"to"`
		Channel string    `json:"channel"`
		Subject string    `json:"subject"`
		Body    string    `json:"body"`
		SentAt  time.Time `json:"sent_at"`
	}
	type response struct {
		Items []item `json:"items"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		to := r.URL.Query().Get("to")
		// An unescaped "+" of an E.164 number arrives as a space.
		if strings.HasPrefix(to, " ") {
			to = "+" + strings.TrimLeft(to, " ")
		}
		to = strings.TrimSpace(to)
		if to == "" || len(to) > sandboxRecipientBytesMax {
			e := apperr.E(apperr.Invalid, "query parameter to (an email address or phone number) is required").JA("宛先 (to) を指定してください")
			e.Fields = map[string]string{"to": "required, at most 254 bytes"}
			return e
		}
		msgs, err := mb.List(r.Context(), to)
		if err != nil {
			return err
		}
		resp := response{Items: make([]item, 0, len(msgs))}
		for _, m := range msgs {
			resp.Items = append(resp.Items, item{To: m.To, Channel: m.Channel, Subject: m.Subject, Body: m.Body, SentAt: m.SentAt})
		}
		encode(w, r, http.StatusOK, resp)
		return nil
	})
}
