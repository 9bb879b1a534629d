package risk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// Bounds of the velocity features. Every count reads one index over one
// window and stops at countCap: a rule asks "at least 5", never "exactly
// 12,345", so a flood costs each decision at most countCap index entries
// per feature, and the features' values never exceed countCap.
const (
	// countCap bounds every velocity count (and so the rows one count
	// reads).
	countCap = 1000
	// eventsKeep is how long events are kept for the counts (the longest
	// window, amount_max_30d).
	eventsKeep = 30 * 24 * time.Hour
	// decisionsKeep is how long decisions are kept for backtests and
	// reviews.
	decisionsKeep = 180 * 24 * time.Hour
	// pruneBatch bounds the rows one Prune deletes per table, so a prune
	// never holds the writer for long.
	pruneBatch = 5000
)

// Network is the network an address belongs to for the velocity counts
// and "network seen": its /24 for IPv4, its /64 for IPv6 (one subscriber's
// usual allocation).
func Network(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	ip = ip.Unmap()
	bits := 64
	if ip.Is4() {
		bits = 24
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// Subject is who and what an event concerns, as the velocity counts key
// it. Empty fields are not counted.
type Subject struct {
	UserID   string
	Amount   int64
	DeviceID string
	IP       netip.Addr
	// Payee is the merchant or user paid (payments, P2P).
	Payee string
	// Card is the card's fingerprint (the same card on many accounts).
	Card string
	// BankAccount identifies the bank account (bank code, branch and
	// number, hashed by the caller); KYCName is the verified name of the
	// user linking it.
	BankAccount, KYCName string
}

// DeviceKey is how a device id (the device's cookie, a credential of
// sorts) is counted and stored: a hash, never the id ("" stays "").
func DeviceKey(id string) string {
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("risk-device:" + id))
	return hex.EncodeToString(sum[:16])
}

// velocity computes the velocity features of an event of kind by s at now
// from the recorded events (this one not yet among them).
func velocity(ctx context.Context, tx *store.Tx, kind string, s Subject, now time.Time) (Features, error) {
	hour, day, month := now.Add(-time.Hour).UnixMilli(), now.Add(-24*time.Hour).UnixMilli(), now.Add(-eventsKeep).UnixMilli()
	network := Network(s.IP)
	// "This device or network": only the keys the event has (an event
	// without a device must not match every other event without one).
	var near []string
	var nearArgs []any
	if network != "" {
		near, nearArgs = append(near, "network = ?"), append(nearArgs, network)
	}
	if s.DeviceID != "" {
		near, nearArgs = append(near, "device = ?"), append(nearArgs, s.DeviceID)
	}
	nearBy := "(" + strings.Join(near, " OR ") + ")"
	f := Features{}
	type count struct {
		name  string
		skip  bool
		query string
		args  []any
	}
	// Each query reads at most countCap rows of one index (the inner
	// LIMIT), whatever the flood.
	bounded := func(inner string) string {
		return `SELECT COUNT(*) FROM (` + inner + ` LIMIT ` + fmt.Sprint(countCap) + `) c`
	}
	distinct := func(col, inner string) string {
		return `SELECT COUNT(DISTINCT ` + col + `) FROM (` + inner + ` LIMIT ` + fmt.Sprint(countCap) + `) c`
	}
	// The user's own events of this kind: one read of the most recent
	// countCap of the last 30 days gives all five features (the hour's and
	// the day's events are among the most recent, so each count is exact
	// up to countCap), where a query each read the same index five times.
	var userCount1h, userCount24h, userAmount24h, amountMax30d, payees1h int64
	if s.UserID != "" {
		err := tx.QueryRow(ctx, `SELECT COUNT(CASE WHEN at >= ? THEN 1 END), COUNT(CASE WHEN at >= ? THEN 1 END),
			CAST(COALESCE(SUM(CASE WHEN at >= ? THEN amount END), 0) AS BIGINT), COALESCE(MAX(amount), 0),
			COUNT(DISTINCT CASE WHEN at >= ? AND payee <> '' THEN payee END)
			FROM (SELECT at, amount, payee FROM risk_events WHERE user_id = ? AND kind = ? AND at >= ? ORDER BY at DESC LIMIT `+fmt.Sprint(countCap)+`) c`,
			hour, day, day, hour, s.UserID, kind, month).Scan(&userCount1h, &userCount24h, &userAmount24h, &amountMax30d, &payees1h)
		if err != nil {
			return nil, fmt.Errorf("risk: count the user's events: %w", err)
		}
	}
	f["user_count_1h"], f["user_count_24h"], f["user_amount_24h"], f["amount_max_30d"], f["payees_1h"] =
		userCount1h, userCount24h, userAmount24h, amountMax30d, payees1h
	counts := []count{
		{"device_count_1h", s.DeviceID == "", bounded(`SELECT 1 FROM risk_events WHERE device = ? AND kind = ? AND at >= ?`), []any{s.DeviceID, kind, hour}},
		{"device_users_24h", s.DeviceID == "", distinct("user_id", `SELECT user_id FROM risk_events WHERE device = ? AND at >= ?`), []any{s.DeviceID, day}},
		{"ip_count_1h", !s.IP.IsValid(), bounded(`SELECT 1 FROM risk_events WHERE ip = ? AND kind = ? AND at >= ?`), []any{s.IP.Unmap().String(), kind, hour}},
		{"network_count_1h", network == "", bounded(`SELECT 1 FROM risk_events WHERE network = ? AND kind = ? AND at >= ?`), []any{network, kind, hour}},
		{"network_kyc_names_24h", len(near) == 0, distinct("kyc_name", `SELECT kyc_name FROM risk_events WHERE kind = ? AND at >= ? AND kyc_name <> '' AND `+nearBy), append([]any{KindBankLink, day}, nearArgs...)},
		{"card_users", s.Card == "", distinct("user_id", `SELECT user_id FROM risk_events WHERE card = ?`), []any{s.Card}},
		{"bank_account_users", s.BankAccount == "", distinct("user_id", `SELECT user_id FROM risk_events WHERE bank_account = ?`), []any{s.BankAccount}},
	}
	for _, c := range counts {
		var n int64
		if !c.skip {
			if err := tx.QueryRow(ctx, c.query, c.args...).Scan(&n); err != nil {
				return nil, fmt.Errorf("risk: count %s: %w", c.name, err)
			}
		}
		f[c.name] = n
	}
	// The current event's own name counts toward the names seen.
	if kind == KindBankLink && s.KYCName != "" {
		var seen int64
		if len(near) > 0 {
			err := tx.QueryRow(ctx, bounded(`SELECT 1 FROM risk_events WHERE kind = ? AND at >= ? AND kyc_name = ? AND `+nearBy),
				append([]any{KindBankLink, day, s.KYCName}, nearArgs...)...).Scan(&seen)
			if err != nil {
				return nil, fmt.Errorf("risk: count names: %w", err)
			}
		}
		if seen == 0 {
			f["network_kyc_names_24h"] = f["network_kyc_names_24h"].(int64) + 1
		}
	}
	// Seen before: the address and network among the user's last
	// countCap events of any kind (30 days at most).
	ipSeen, netSeen := int64(0), int64(0)
	if s.UserID != "" && s.IP.IsValid() {
		err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN ip = ? THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN network = ? THEN 1 ELSE 0 END), 0)
			FROM (SELECT ip, network FROM risk_events WHERE user_id = ? ORDER BY user_id, kind, at DESC LIMIT `+fmt.Sprint(countCap)+`) c`,
			s.IP.Unmap().String(), network, s.UserID).Scan(&ipSeen, &netSeen)
		if err != nil {
			return nil, fmt.Errorf("risk: count seen: %w", err)
		}
	}
	f["ip_seen"], f["network_seen"] = ipSeen > 0, netSeen > 0
	first := true
	if s.Payee != "" && s.UserID != "" {
		var n int64
		if err := tx.QueryRow(ctx, bounded(`SELECT 1 FROM risk_events WHERE user_id = ? AND payee = ?`), s.UserID, s.Payee).Scan(&n); err != nil {
			return nil, fmt.Errorf("risk: count payee: %w", err)
		}
		first = n == 0
	}
	f["first_to_payee"] = first
	// A card or bank account counts its own user: "2 users" means another
	// account has it too.
	for _, k := range []struct {
		name, key string
		col       string
	}{{"card_users", s.Card, "card"}, {"bank_account_users", s.BankAccount, "bank_account"}} {
		if k.key == "" || s.UserID == "" {
			continue
		}
		var mine int64
		if err := tx.QueryRow(ctx, bounded(`SELECT 1 FROM risk_events WHERE `+k.col+` = ? AND user_id = ?`), k.key, s.UserID).Scan(&mine); err != nil {
			return nil, fmt.Errorf("risk: count %s: %w", k.name, err)
		}
		if mine == 0 {
			f[k.name] = f[k.name].(int64) + 1
		}
	}
	return f, nil
}

func recordEvent(ctx context.Context, tx *store.Tx, id, kind string, s Subject, now time.Time) error {
	ip := ""
	if s.IP.IsValid() {
		ip = s.IP.Unmap().String()
	}
	_, err := tx.Exec(ctx, `INSERT INTO risk_events (id, at, kind, user_id, amount, device, ip, network, payee, card, bank_account, kyc_name)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, now.UnixMilli(), kind, s.UserID, s.Amount, s.DeviceID, ip, Network(s.IP),
		s.Payee, s.Card, s.BankAccount, s.KYCName)
	if err != nil {
		return fmt.Errorf("risk: record event: %w", err)
	}
	return nil
}

// Prune deletes events older than the longest window and decisions older
// than decisionsKeep, at most pruneBatch of each per call (a job calls it
// every few minutes); it returns how many rows went.
func (e *Engine) Prune(ctx context.Context) (int64, error) {
	now := e.now()
	var total int64
	for _, p := range []struct {
		table  string
		before time.Time
	}{{"risk_events", now.Add(-eventsKeep)}, {"risk_decisions", now.Add(-decisionsKeep)}} {
		res, err := e.db.Exec(ctx, `DELETE FROM `+p.table+` WHERE id IN (SELECT id FROM `+p.table+` WHERE at < ? LIMIT ?)`,
			p.before.UnixMilli(), pruneBatch)
		if err != nil {
			return total, fmt.Errorf("risk: prune %s: %w", p.table, err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}
