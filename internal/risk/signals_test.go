package risk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestVelocity: the velocity features count what the recorded events say,
// per user, device, address, network, card, bank account and payee, over
// their windows, and the default rules fire on them: PayPay 2018's card
// bursts from one device and one card on many accounts, docomo-koza's one
// device linking accounts of different names, and a fan-out of P2P
// transfers — while the ordinary user beside each does not trip them.
func TestVelocity(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
		e := risk.New(db, c.Now)
		if err := e.SeedDefaults(ctx); err != nil {
			t.Fatal(err)
		}
		ip := netip.MustParseAddr("203.0.113.7")
		decide := func(kind string, s risk.Subject, f risk.Features) risk.Decision {
			t.Helper()
			if f == nil {
				f = risk.Features{}
			}
			f["kyc_verified"], f["device_seen"] = true, true
			d, err := e.Decide(ctx, risk.Event{Kind: kind, Subject: s, Features: f})
			if err != nil {
				t.Fatal(err)
			}
			c.Advance(time.Second)
			return d
		}
		fires := func(d risk.Decision, rule string) bool {
			for _, r := range d.Reasons {
				if r.RuleID == rule {
					return true
				}
			}
			return false
		}

		// PayPay 2018: five registrations from one device, for five
		// accounts; the sixth is declined. Another device is not.
		for i := range 5 {
			d := decide(risk.KindCardRegistration, risk.Subject{UserID: fmt.Sprint("victim", i), DeviceID: "dev-farm", IP: ip, Card: fmt.Sprint("fp", i)}, nil)
			if d.Action != risk.Allow {
				t.Fatalf("registration %d from the farm: %+v", i, d)
			}
		}
		if d := decide(risk.KindCardRegistration, risk.Subject{UserID: "victim9", DeviceID: "dev-farm", IP: ip, Card: "fp9"}, nil); !fires(d, "paypay-card-registration-burst") || d.Action != risk.Decline {
			t.Errorf("the sixth registration from one device: %+v", d)
		}
		if d := decide(risk.KindCardRegistration, risk.Subject{UserID: "ordinary", DeviceID: "dev-home", IP: netip.MustParseAddr("198.51.100.5"), Card: "fp-own"}, nil); d.Action != risk.Allow {
			t.Errorf("an ordinary registration: %+v", d)
		}
		// The card's owner registering it again is fine, so is a second
		// account (a family); a third is not.
		if d := decide(risk.KindCardRegistration, risk.Subject{UserID: "ordinary", DeviceID: "dev-home", Card: "fp-own"}, nil); fires(d, "paypay-one-card-many-accounts") {
			t.Errorf("the owner's own card again: %+v", d.Reasons)
		}
		if d := decide(risk.KindCardRegistration, risk.Subject{UserID: "family", DeviceID: "dev-f", Card: "fp-own"}, nil); fires(d, "paypay-one-card-many-accounts") {
			t.Errorf("a card on a second account: %+v", d.Reasons)
		}
		if d := decide(risk.KindCardRegistration, risk.Subject{UserID: "mule", DeviceID: "dev-m", Card: "fp-own"}, nil); !fires(d, "paypay-one-card-many-accounts") {
			t.Errorf("a card on a third account: %+v", d)
		}

		// docomo-koza: one device links accounts for two names.
		if d := decide(risk.KindBankLink, risk.Subject{UserID: "w1", DeviceID: "dev-koza", IP: ip, BankAccount: "b1", KYCName: "YAMADA TARO"}, nil); d.Action != risk.Allow {
			t.Fatalf("first link: %+v", d)
		}
		if d := decide(risk.KindBankLink, risk.Subject{UserID: "w1", DeviceID: "dev-koza", IP: ip, BankAccount: "b2", KYCName: "YAMADA TARO"}, nil); d.Action != risk.Allow {
			t.Errorf("a second account of the same name: %+v", d)
		}
		if d := decide(risk.KindBankLink, risk.Subject{UserID: "w2", DeviceID: "dev-koza", IP: ip, BankAccount: "b3", KYCName: "SUZUKI HANAKO"}, nil); !fires(d, "docomo-koza-many-names-one-device") || d.Action != risk.Hold {
			t.Errorf("a second name from one device: %+v", d)
		}
		// Links that name no device are counted by their networks alone:
		// two people linking from their own networks on the same day are
		// not one device.
		for i, name := range []string{"TANAKA ICHIRO", "SATO JIRO"} {
			s := risk.Subject{UserID: fmt.Sprint("home", i), IP: netip.MustParseAddr(fmt.Sprintf("198.51.%d.20", 100+i)), BankAccount: fmt.Sprint("h", i), KYCName: name}
			if d := decide(risk.KindBankLink, s, nil); fires(d, "docomo-koza-many-names-one-device") {
				t.Errorf("%s linking from home, without a device: %+v", name, d.Reasons)
			}
		}

		// P2P fan-out: five new payees in an hour, then a sixth.
		for i := range 5 {
			decide(risk.KindP2P, risk.Subject{UserID: "fan", Amount: 1000, Payee: fmt.Sprint("p", i)}, nil)
		}
		if d := decide(risk.KindP2P, risk.Subject{UserID: "fan", Amount: 1000, Payee: "p9"}, nil); !fires(d, "p2p-many-recipients") {
			t.Errorf("the sixth payee in an hour: %+v", d)
		}
		if d := decide(risk.KindP2P, risk.Subject{UserID: "fan", Amount: 1000, Payee: "p1"}, nil); fires(d, "p2p-many-recipients") {
			t.Errorf("a payee paid before: %+v", d.Reasons)
		}
		// Seen before: the address and network of the user's earlier
		// events; a neighbour address is a seen network, not a seen IP.
		seen := func(addr string) (bool, bool) {
			d := decide(risk.KindLogin, risk.Subject{UserID: "victim1", DeviceID: "dev-farm", IP: netip.MustParseAddr(addr)}, nil)
			var f string
			if err := db.QueryRow(ctx, `SELECT features FROM risk_decisions WHERE id = ?`, d.ID).Scan(&f); err != nil {
				t.Fatal(err)
			}
			return strings.Contains(f, `"ip_seen":true`), strings.Contains(f, `"network_seen":true`)
		}
		if ip, network := seen("203.0.113.7"); !ip || !network {
			t.Errorf("the user's own address: ip_seen %v, network_seen %v", ip, network)
		}
		if ip, network := seen("203.0.113.99"); ip || !network {
			t.Errorf("a neighbour address: ip_seen %v, network_seen %v", ip, network)
		}
		if ip, network := seen("192.0.2.1"); ip || network {
			t.Errorf("a stranger's address: ip_seen %v, network_seen %v", ip, network)
		}

		// An hour later the hourly windows are empty.
		c.Advance(time.Hour)
		if d := decide(risk.KindP2P, risk.Subject{UserID: "fan", Amount: 1000, Payee: "p10"}, nil); fires(d, "p2p-many-recipients") {
			t.Errorf("a new payee an hour later: %+v", d.Reasons)
		}
		if d := decide(risk.KindCardRegistration, risk.Subject{UserID: "victim10", DeviceID: "dev-farm", Card: "fp10"}, nil); d.Action != risk.Allow {
			t.Errorf("a registration from the farm an hour later: %+v", d)
		}
	})
}

// TestVelocityBounded: a count stops at its cap however many events there
// are, and Prune removes events past the longest window.
func TestVelocityBounded(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
		e := risk.New(db, c.Now)
		if err := e.SeedDefaults(ctx); err != nil {
			t.Fatal(err)
		}
		at := c.Now().Add(-time.Minute).UnixMilli()
		if err := db.Write(ctx, func(tx *store.Tx) error {
			for i := range 1500 {
				if _, err := tx.Exec(ctx, `INSERT INTO risk_events (id, at, kind, user_id, amount, device, ip, network, payee, card, bank_account, kyc_name)
					VALUES (?, ?, 'login', ?, 0, ?, '', '', '', '', '', '')`, fmt.Sprint("ev", i), at, fmt.Sprint("u", i), risk.DeviceKey("dev-flood")); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		d, err := e.Decide(ctx, risk.Event{Kind: risk.KindLogin, Subject: risk.Subject{UserID: "u1", DeviceID: "dev-flood"}})
		if err != nil {
			t.Fatal(err)
		}
		var features string
		if err := db.QueryRow(ctx, `SELECT features FROM risk_decisions WHERE id = ?`, d.ID).Scan(&features); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"device_count_1h":1000`, `"device_users_24h":1000`} {
			if !contains(features, want) {
				t.Errorf("stored features lack %s: %s", want, features)
			}
		}
		c.Advance(31 * 24 * time.Hour)
		n, err := e.Prune(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var left int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM risk_events`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if n != 1501 || left != 0 {
			t.Errorf("prune removed %d, left %d events; want 1501 and 0", n, left)
		}
	})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestVelocityUserWindows: the features of a user's own events of one
// kind count each window exactly — the last hour, the last day, 30 days —
// and leave out other kinds and events past the window.
func TestVelocityUserWindows(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		c := &clock{t: now.Add(-40 * 24 * time.Hour)}
		e := risk.New(db, c.Now)
		if err := e.SeedDefaults(ctx); err != nil {
			t.Fatal(err)
		}
		decide := func(at time.Duration, kind string, amount int64, payee string) string {
			t.Helper()
			c.Advance(now.Add(-at).Sub(c.Now()))
			d, err := e.Decide(ctx, risk.Event{Kind: kind, Subject: risk.Subject{UserID: "u", Amount: amount, Payee: payee},
				Features: risk.Features{"kyc_verified": true, "device_seen": true}})
			if err != nil {
				t.Fatal(err)
			}
			return d.ID
		}
		decide(35*24*time.Hour, risk.KindP2P, 50_000, "old")   // past 30 days
		decide(20*24*time.Hour, risk.KindP2P, 9_000, "a")      // 30 days
		decide(2*24*time.Hour, risk.KindP2P, 5_000, "b")       // 30 days
		decide(3*time.Hour, risk.KindP2P, 300, "c")            // a day
		decide(30*time.Minute, risk.KindP2P, 200, "d")         // an hour
		decide(10*time.Minute, risk.KindP2P, 100, "d")         // an hour
		decide(5*time.Minute, risk.KindPayment, 7_777, "shop") // another kind
		id := decide(0, risk.KindP2P, 50, "a")
		var raw string
		if err := db.QueryRow(ctx, `SELECT features FROM risk_decisions WHERE id = ?`, id).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var f map[string]any
		if err := json.Unmarshal([]byte(raw), &f); err != nil {
			t.Fatal(err)
		}
		got := map[string]any{}
		for _, k := range []string{"user_count_1h", "user_count_24h", "user_amount_24h", "amount_max_30d", "payees_1h", "first_to_payee"} {
			got[k] = f[k]
		}
		want := map[string]any{"user_count_1h": 2.0, "user_count_24h": 3.0, "user_amount_24h": 600.0, "amount_max_30d": 9_000.0,
			"payees_1h": 1.0, "first_to_payee": false}
		if d := cmp.Diff(got, want); d != "" {
			t.Errorf("features of the user's events (-got +want):\n%s", d)
		}
	})
}
