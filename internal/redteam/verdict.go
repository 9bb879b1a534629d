package redteam

import (
	"context"
	"fmt"
	"strings"
)

// defended and breached are a scenario's verdicts with their detail.
func defended(format string, args ...any) (Outcome, string, error) {
	return Defended, fmt.Sprintf(format, args...), nil
}

func breached(format string, args ...any) (Outcome, string, error) {
	return Breached, fmt.Sprintf(format, args...), nil
}

func failed(err error) (Outcome, string, error) { return Failed, "", err }

// flushMail sends one legitimate reset request for addr and waits for its
// mail: saifu's outbox delivers in order, so once it arrived every mail
// the attack's earlier requests caused has been delivered too.
func flushMail(ctx context.Context, t *Target, addr string) error {
	before, err := t.Count(ctx, addr)
	if err != nil {
		return err
	}
	r, err := t.NewAgent("flush").Post(ctx, "/api/v1/password/forgot", map[string]string{"email": addr})
	if err != nil {
		return err
	}
	if err := want(r, "a legitimate reset request (to flush the outbox)", 202); err != nil {
		return err
	}
	_, err = t.WaitMessage(ctx, addr, before, "")
	return err
}

// strangers returns the messages in msgs not addressed to owner exactly.
func strangers(msgs []Message, owner string) []string {
	var out []string
	for _, m := range msgs {
		if m.To != strings.ToLower(owner) {
			out = append(out, fmt.Sprintf("%q (%s)", m.To, m.Subject))
		}
	}
	return out
}

// errorf is fmt.Errorf, for a scenario's set-up that went wrong.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
