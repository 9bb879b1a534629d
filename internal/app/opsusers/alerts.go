package opsusers

import (
	"context"
	"time"

	"github.com/saifu-pay/saifu/internal/ops"
)

var _ ops.Logins = (*Users)(nil)

// StuffingAlerts returns identity's newest credential-stuffing alerts.
func (u *Users) StuffingAlerts(ctx context.Context, limit int) ([]ops.Alert, error) {
	in, err := u.Identity.Alerts(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]ops.Alert, 0, len(in))
	for _, a := range in {
		out = append(out, ops.Alert{ID: a.ID, Kind: a.Kind, Subject: a.Subject, Detail: a.Detail, At: a.CreatedAt})
	}
	return out, nil
}

// FailedLoginsPerMinute returns identity's failed logins per minute.
func (u *Users) FailedLoginsPerMinute(ctx context.Context, since, until time.Time) ([]ops.MinuteCount, error) {
	in, err := u.Identity.FailedLoginsPerMinute(ctx, since, until)
	if err != nil {
		return nil, err
	}
	out := make([]ops.MinuteCount, 0, len(in))
	for _, m := range in {
		out = append(out, ops.MinuteCount{Minute: m.Minute, N: m.N})
	}
	return out, nil
}
