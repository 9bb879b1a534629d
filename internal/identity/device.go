package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// devicesPerUserMax bounds the devices remembered per user; the least
// recently seen are forgotten first.
const devicesPerUserMax = 50

// NewDeviceID returns a fresh device identifier for the saifu_device
// cookie (128 random bits).
func NewDeviceID() string { return randomToken(deviceIDBytes) }

// deviceHash is how a device cookie is stored ("" for no valid cookie).
func deviceHash(deviceID string) string {
	if !validToken(deviceID) {
		return ""
	}
	return hashToken(deviceID)
}

// knownDevice reports whether the user has logged in before from this
// device cookie with this user agent.
func (s *Service) knownDevice(ctx context.Context, userID, deviceID, ua string) (bool, error) {
	h := deviceHash(deviceID)
	if userID == "" || h == "" {
		return false, nil
	}
	var seenUA string
	err := s.db.QueryRow(ctx, `SELECT user_agent FROM devices WHERE user_id = ? AND device_hash = ?`, userID, h).Scan(&seenUA)
	if errors.Is(err, store.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("identity: read device: %w", err)
	}
	return seenUA == ua, nil
}

// deviceSeen is what rememberDevice found.
type deviceSeen struct {
	isNew        bool      // unknown cookie, no cookie, or another user agent
	recognisedAt time.Time // from when the device counts as the user's (trust.go)
}

// rememberDevice records a sign-in from the device (h is its deviceHash)
// and reports whether it was new for the user and from when it is
// recognised. vouched (a trusted second factor, or the account created on
// it) makes it recognised now; otherwise a device is recognised
// deviceRecognitionDelay after it first signed in. Without a cookie there
// is nothing to remember: every sign-in is a new device.
func rememberDevice(ctx context.Context, tx *store.Tx, userID, h, ua string, vouched bool, now time.Time) (deviceSeen, error) {
	recognised := now.Add(deviceRecognitionDelay)
	if vouched {
		recognised = now
	}
	if h == "" {
		return deviceSeen{isNew: true, recognisedAt: recognised}, nil
	}
	var seenUA string
	var seenRecognised int64
	err := tx.QueryRow(ctx, `SELECT user_agent, recognised_at FROM devices WHERE user_id = ? AND device_hash = ?`, userID, h).Scan(&seenUA, &seenRecognised)
	switch {
	case errors.Is(err, store.ErrNoRows):
		if _, err := tx.Exec(ctx, `DELETE FROM devices WHERE user_id = ? AND device_hash IN (
			SELECT device_hash FROM devices WHERE user_id = ? ORDER BY last_seen DESC LIMIT ? OFFSET ?)`,
			userID, userID, devicesPerUserMax, devicesPerUserMax-1); err != nil {
			return deviceSeen{}, fmt.Errorf("identity: bound devices: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO devices (user_id, device_hash, user_agent, first_seen, last_seen, recognised_at) VALUES (?, ?, ?, ?, ?, ?)`,
			userID, h, ua, now.UnixMilli(), now.UnixMilli(), recognised.UnixMilli()); err != nil {
			return deviceSeen{}, fmt.Errorf("identity: remember device: %w", err)
		}
		return deviceSeen{isNew: true, recognisedAt: recognised}, nil
	case err != nil:
		return deviceSeen{}, fmt.Errorf("identity: read device: %w", err)
	}
	recognised = time.UnixMilli(seenRecognised).UTC()
	if vouched && now.Before(recognised) {
		recognised = now
	}
	if _, err := tx.Exec(ctx, `UPDATE devices SET user_agent = ?, last_seen = ?, recognised_at = ? WHERE user_id = ? AND device_hash = ?`,
		ua, now.UnixMilli(), recognised.UnixMilli(), userID, h); err != nil {
		return deviceSeen{}, fmt.Errorf("identity: touch device: %w", err)
	}
	return deviceSeen{isNew: seenUA != ua, recognisedAt: recognised}, nil
}
