package redteam

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// notice is one item of GET /api/v1/notifications.
type notice struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// notices reads what the wallet told a's user, newest first.
func (a *Agent) notices(ctx context.Context) ([]notice, error) {
	r, err := a.Get(ctx, "/api/v1/notifications")
	if err != nil {
		return nil, err
	}
	if err := want(r, "GET /api/v1/notifications", 200); err != nil {
		return nil, err
	}
	var out struct {
		Items []notice `json:"items"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	return out.Items, nil
}

// noticeIDs is the set of a's notices now, to tell the new ones later.
func (a *Agent) noticeIDs(ctx context.Context) (map[string]bool, error) {
	ns, err := a.notices(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, n := range ns {
		seen[n.ID] = true
	}
	return seen, nil
}

// waitNotice waits (as long as for a mail) for a notice not in seen whose
// subject or body contains match; ok is false when none came.
func (a *Agent) waitNotice(ctx context.Context, seen map[string]bool, match string) (n notice, ok bool, err error) {
	deadline := time.Now().Add(mailWait)
	for {
		ns, err := a.notices(ctx)
		if err != nil {
			return notice{}, false, err
		}
		for _, n := range ns {
			if !seen[n.ID] && (strings.Contains(n.Subject, match) || strings.Contains(n.Body, match)) {
				return n, true, nil
			}
		}
		if time.Now().After(deadline) {
			return notice{}, false, nil
		}
		select {
		case <-ctx.Done():
			return notice{}, false, ctx.Err()
		case <-time.After(mailPollEvery):
		}
	}
}

// toldOf judges whether a's user was told of a movement of amount that
// happened after seen and mailBefore (the user's notices and mails
// before it): in the app and by mail to the verified address, each
// naming the amount. what names the movement in the verdict.
func toldOf(ctx context.Context, t *Target, a *Agent, seen map[string]bool, mailBefore int, amount int64, what string) (Outcome, string, error) {
	match := fmt.Sprint(amount)
	n, inApp, err := a.waitNotice(ctx, seen, match)
	if err != nil {
		return failed(err)
	}
	m, mailErr := t.WaitMessage(ctx, a.Email, mailBefore, match)
	switch {
	case !inApp && mailErr != nil:
		return breached("%s: no notice naming %s in the app and no mail to %s within %s", what, match, a.Email, mailWait)
	case !inApp:
		return breached("%s: mailed (%q) but nothing in the app's notices", what, m.Subject)
	case mailErr != nil:
		return breached("%s: in the app (%q) but no mail to the verified address %s within %s", what, n.Subject, a.Email, mailWait)
	}
	return defended("%s: the app shows %q (%s) and the verified address got %q", what, n.Subject, n.Kind, m.Subject)
}
