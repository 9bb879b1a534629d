package redteam

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Bounds of reading the sandbox mailbox, with why.
const (
	// mailWait bounds the wait for a mail or SMS: saifu's outbox delivers
	// within a second or two, a loaded CI machine in a few.
	mailWait = 20 * time.Second
	// mailPollEvery is the pause between two reads of the mailbox.
	mailPollEvery = 250 * time.Millisecond
)

// Message is one mail or SMS in the sandbox mailbox.
type Message struct {
	To      string    `json:"to"`
	Channel string    `json:"channel"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	SentAt  time.Time `json:"sent_at"`
}

// Messages reads every message the sandbox holds for to, oldest first.
func (t *Target) Messages(ctx context.Context, to string) ([]Message, error) {
	r, err := t.NewAgent("mailbox").Get(ctx, "/sandbox/api/messages?to="+url.QueryEscape(to))
	if err != nil {
		return nil, err
	}
	if err := want(r, "GET /sandbox/api/messages", 200); err != nil {
		return nil, err
	}
	var out struct {
		Items []Message `json:"items"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		return nil, fmt.Errorf("sandbox messages: %w", err)
	}
	return out.Items, nil
}

// WaitMessage waits for a message to to, beyond the first after that it
// already had, whose subject or body contains match (any message if
// match is ""), and returns the newest such.
func (t *Target) WaitMessage(ctx context.Context, to string, after int, match string) (Message, error) {
	deadline := time.Now().Add(mailWait)
	for {
		msgs, err := t.Messages(ctx, to)
		if err != nil {
			return Message{}, err
		}
		for i := len(msgs) - 1; i >= after && i >= 0; i-- {
			if m := msgs[i]; match == "" || strings.Contains(m.Subject, match) || strings.Contains(m.Body, match) {
				return m, nil
			}
		}
		if time.Now().After(deadline) {
			return Message{}, fmt.Errorf("no new message to %s (matching %q) within %s", to, match, mailWait)
		}
		select {
		case <-ctx.Done():
			return Message{}, ctx.Err()
		case <-time.After(mailPollEvery):
		}
	}
}

// Count is how many messages the mailbox holds for to.
func (t *Target) Count(ctx context.Context, to string) (int, error) {
	msgs, err := t.Messages(ctx, to)
	return len(msgs), err
}

var sixDigitsRE = regexp.MustCompile(`(?:^|[^0-9])([0-9]{6})(?:[^0-9]|$)`)

// addressRE matches a mail address in a message.
var addressRE = regexp.MustCompile(`[^\s()<>]+@[^\s()<>]+`)

// WaitCode waits for a new message to to carrying a six-digit code and
// returns the code.
func (t *Target) WaitCode(ctx context.Context, to string, after int) (string, error) {
	deadline := time.Now().Add(mailWait)
	for {
		m, err := t.WaitMessage(ctx, to, after, "")
		if err != nil {
			return "", err
		}
		if c, ok := codeIn(m.Body); ok {
			return c, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no code in the new message to %s: %.200q", to, m.Body)
		}
		after++
	}
}

// WaitFind waits for a new message to to (beyond the first after) in
// which re matches, and returns re's last submatch there.
func (t *Target) WaitFind(ctx context.Context, to string, after int, re *regexp.Regexp) (string, error) {
	deadline := time.Now().Add(mailWait)
	for {
		msgs, err := t.Messages(ctx, to)
		if err != nil {
			return "", err
		}
		for i := len(msgs) - 1; i >= after && i >= 0; i-- {
			if m := re.FindStringSubmatch(msgs[i].Body); m != nil {
				return m[len(m)-1], nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no new message to %s matching %v within %s", to, re, mailWait)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(mailPollEvery):
		}
	}
}

// codeIn finds the mailed code in body: addresses are no codes (the run's
// tag may hold six digits in a row); of what is left, the code is the
// first six digits (an amount may follow it).
func codeIn(body string) (string, bool) {
	c := sixDigitsRE.FindStringSubmatch(addressRE.ReplaceAllString(body, " "))
	if c == nil {
		return "", false
	}
	return c[1], true
}
