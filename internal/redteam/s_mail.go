package redteam

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// linkRE finds what a mail client turns into a link, and attachment
// markers of a MIME body.
var linkRE = regexp.MustCompile(`(?i)https?://|www\.|href=|content-disposition:\s*attachment|\.zip\b|multipart/mixed`)

// triggerMails makes saifu mail u: a reset token and a new-device notice.
func triggerMails(ctx context.Context, t *Target, u *Agent) error {
	r, err := t.NewAgent("forgot").Post(ctx, "/api/v1/password/forgot", map[string]string{"email": u.Email})
	if err != nil {
		return err
	}
	if err := want(r, "POST /api/v1/password/forgot", 202); err != nil {
		return err
	}
	r, err = t.NewAgent("new-phone").Login(ctx, u.Email, u.Password)
	if err != nil {
		return err
	}
	return want(r, "login from a new device", 200)
}

func init() {
	register(Scenario{
		Name: "onedrive-emotet/mails-carry-no-links-or-attachments", Incident: "OneDrive phishing 2019, Emotet 2020",
		Attack: "collect every mail saifu sends an account (sign-up code, reset token, new-device notice) and look for a link or an attachment to imitate",
		Run: func(ctx context.Context, t *Target) (Outcome, string, error) {
			u, err := t.NewUser(ctx, "reader")
			if err != nil {
				return failed(err)
			}
			if err := triggerMails(ctx, t, u); err != nil {
				return failed(err)
			}
			msgs, err := waitMessages(ctx, t, u.Email, 3)
			if err != nil {
				return failed(err)
			}
			for _, m := range msgs {
				if l := linkRE.FindString(m.Subject + "\n" + m.Body); l != "" {
					return breached("mail %q carries %q", m.Subject, l)
				}
			}
			return defended("%d mails, none with a link or an attachment", len(msgs))
		},
	})
	register(Scenario{
		Name: "emotet/mails-show-anti-phishing-phrase", Incident: "Emotet 2020",
		Attack: "after the user sets an anti-phishing phrase, check that every genuine mail shows it (a forger cannot know it)",
		Run: func(ctx context.Context, t *Target) (Outcome, string, error) {
			u, err := t.NewUser(ctx, "phrase")
			if err != nil {
				return failed(err)
			}
			phrase := "aoi-sora " + t.Unique("p")[2:12]
			r, err := u.Do(ctx, "PUT", "/api/v1/me/anti-phishing-phrase", map[string]string{"phrase": phrase})
			if err != nil {
				return failed(err)
			}
			if err := want(r, "PUT /api/v1/me/anti-phishing-phrase", 200); err != nil {
				return failed(err)
			}
			before, err := t.Count(ctx, u.Email)
			if err != nil {
				return failed(err)
			}
			if err := triggerMails(ctx, t, u); err != nil {
				return failed(err)
			}
			msgs, err := waitMessages(ctx, t, u.Email, before+2)
			if err != nil {
				return failed(err)
			}
			for _, m := range msgs[before:] {
				if !strings.Contains(m.Body, phrase) {
					return breached("mail %q does not show the phrase", m.Subject)
				}
			}
			return defended("%d mails after the phrase was set, each shows it", len(msgs)-before)
		},
	})
}

// waitMessages waits until to has at least n messages and returns them.
func waitMessages(ctx context.Context, t *Target, to string, n int) ([]Message, error) {
	if _, err := t.WaitMessage(ctx, to, n-1, ""); err != nil {
		return nil, fmt.Errorf("waiting for %d messages: %w", n, err)
	}
	return t.Messages(ctx, to)
}
