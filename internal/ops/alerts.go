package ops

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// Alert is a credential-stuffing alert identity raised: its kind (an
// address, a network or the whole service), the network or address it
// is about, and what tripped it.
type Alert struct {
	ID, Kind, Subject, Detail string
	At                        time.Time
}

// Logins is what ops reads of identity's watch on logins, which ops must
// not import (internal/app implements it, package opsusers).
type Logins interface {
	// StuffingAlerts returns the newest alerts, at most limit.
	StuffingAlerts(ctx context.Context, limit int) ([]Alert, error)
	// FailedLoginsPerMinute returns the failed logins of the minutes
	// from since to until (a day at most), per minute that had any.
	FailedLoginsPerMinute(ctx context.Context, since, until time.Time) ([]MinuteCount, error)
}

// MinuteCount is how many events happened in the minute that starts at
// Minute.
type MinuteCount struct {
	Minute time.Time
	N      int64
}

// alertsPageMax bounds the alerts one read returns.
const alertsPageMax = 100

var errNoAlerts = apperr.E(apperr.Unavailable, "the alerts are not configured").JA("アラートを利用できません")

// StuffingAlerts returns the newest credential-stuffing alerts, at most
// limit (1…100), to an operator of any role, and audits the read.
// Without Logins it is apperr.Unavailable.
func (o *Operators) StuffingAlerts(ctx context.Context, s Session, limit int) ([]Alert, error) {
	if err := o.require(ctx, s, RoleViewer, "alerts.read"); err != nil {
		return nil, err
	}
	if o.cfg.Logins == nil {
		return nil, errNoAlerts
	}
	if limit < 1 || limit > alertsPageMax {
		return nil, apperr.E(apperr.Invalid, fmt.Sprintf("limit must be between 1 and %d", alertsPageMax)).JA("limit の値が正しくありません")
	}
	if err := o.auditRead(ctx, s, "alerts.read", "alerts", fmt.Sprintf("limit=%d", limit)); err != nil {
		return nil, err
	}
	return o.cfg.Logins.StuffingAlerts(ctx, limit)
}
