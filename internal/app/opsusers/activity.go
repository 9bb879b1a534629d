package opsusers

import (
	"context"

	"github.com/saifu-pay/saifu/internal/activity"
	"github.com/saifu-pay/saifu/internal/ops"
)

var _ ops.Activity = (*Users)(nil)

// Events reads the incident search's events from their producers —
// identity, then funding (when on), then the wallet — each given the room
// the ones before left, so that together they return at most q.Limit+1.
func (u *Users) Events(ctx context.Context, q activity.Query) ([]activity.Event, error) {
	var producers []func(context.Context, activity.Query) ([]activity.Event, error)
	producers = append(producers, u.Identity.Activity)
	if u.Funding != nil {
		producers = append(producers, u.Funding.Activity)
	}
	if u.Wallet != nil {
		producers = append(producers, u.Wallet.Activity)
	}
	var out []activity.Event
	for _, read := range producers {
		room := q
		room.Limit = q.Limit - len(out)
		if room.Limit < 0 {
			break
		}
		got, err := read(ctx, room)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// Emails returns the users' addresses (identity).
func (u *Users) Emails(ctx context.Context, ids []string) (map[string]string, error) {
	return u.Identity.Emails(ctx, ids)
}
