package opsusers

import (
	"context"

	"github.com/saifu-pay/saifu/internal/ops"
)

var _ ops.Alerts = (*Users)(nil)

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
