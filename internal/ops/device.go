package ops

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// devicesPerOperatorMax bounds the devices remembered per operator; the
// least recently seen are forgotten first (as identity does for users).
const devicesPerOperatorMax = 50

// deviceKey is how a device of an operator is remembered: the network of
// its address (a /24 for IPv4, a /64 for IPv6, the unit a household or an
// office keeps) and its user agent, hashed. The operator API is called
// with bearer tokens and sets no cookie, so there is no device cookie to
// tell devices apart by (as identity does for users' apps): a new network
// or a new user agent is a new device.
func (c Client) deviceKey() string {
	network := "unknown"
	if ip, err := netip.ParseAddr(c.IP); err == nil {
		ip = ip.Unmap()
		bits := 64
		if ip.Is4() {
			bits = 24
		}
		if p, err := ip.Prefix(bits); err == nil {
			network = p.String()
		}
	}
	return hashToken(network + "\n" + c.userAgent())
}

// rememberDevice records a login of operator id from c's device, in tx,
// and reports whether the operator had not logged in from it before.
func rememberDevice(ctx context.Context, tx *store.Tx, id string, c Client, now time.Time) (isNew bool, err error) {
	key := c.deviceKey()
	var first int64
	err = tx.QueryRow(ctx, `SELECT first_seen FROM ops_devices WHERE operator_id = ? AND device_key = ?`, id, key).Scan(&first)
	switch {
	case err == nil:
		if _, err := tx.Exec(ctx, `UPDATE ops_devices SET last_seen = ? WHERE operator_id = ? AND device_key = ?`, now.UnixMilli(), id, key); err != nil {
			return false, fmt.Errorf("ops: touch device: %w", err)
		}
		return false, nil
	case !errors.Is(err, store.ErrNoRows):
		return false, fmt.Errorf("ops: read device: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM ops_devices WHERE operator_id = ? AND device_key IN (
		SELECT device_key FROM ops_devices WHERE operator_id = ? ORDER BY last_seen DESC LIMIT ? OFFSET ?)`,
		id, id, devicesPerOperatorMax, devicesPerOperatorMax-1); err != nil {
		return false, fmt.Errorf("ops: bound devices: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO ops_devices (operator_id, device_key, first_seen, last_seen) VALUES (?, ?, ?, ?)`,
		id, key, now.UnixMilli(), now.UnixMilli()); err != nil {
		return false, fmt.Errorf("ops: remember device: %w", err)
	}
	return true, nil
}
