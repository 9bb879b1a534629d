package httpapi

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/identity"
)

// alertSubjects lists the subjects of the credential-stuffing alerts.
func alertSubjects(t *testing.T, e *idEnv) []string {
	t.Helper()
	alerts, err := e.id.Alerts(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, a := range alerts {
		out = append(out, a.Kind+" "+a.Subject)
	}
	return out
}

// newDeviceLogins logs in n times as the owner of addr from ip, each time
// from a new device (a fresh cookie jar), and returns the statuses.
func newDeviceLogins(e *idEnv, addr, ip string, n int) []int {
	var out []int
	for i := range n {
		out = append(out, e.agent(fmt.Sprintf("new-device-%d", i), ip).login(addr, pwAlice).status)
	}
	return out
}

// TestMadeUpAddressesLockNobodyOut: failed logins against addresses that
// have no account, from an office or a carrier-grade NAT, flag neither
// the addresses nor their network: the people there still log in from
// new devices at the full rate.
func TestMadeUpAddressesLockNobodyOut(t *testing.T) {
	eachIDEnv(t, identity.Limits{}, func(t *testing.T, e *idEnv) {
		const addr = "office-worker@example.com"
		e.agent("owner", "198.51.100.80").signup(addr, pwAlice)
		for i := range 2 * identity.DefaultLimits.StuffingAccounts {
			ip := fmt.Sprintf("192.0.2.%d", 1+i%3) // three NAT addresses
			e.agent("typo", ip).login(fmt.Sprintf("nobody%d@example.com", i), "some password 1").want(t, 401)
		}
		if diff := cmp.Diff(alertSubjects(t, e), []string{}); diff != "" {
			t.Errorf("alerts (-got +want):\n%s", diff)
		}
		// More new-device logins than a flagged address would allow
		// (LoginIP / StuffingTighten), from one of the NAT addresses and
		// from a neighbour.
		n := identity.DefaultLimits.LoginIP.N/identity.DefaultLimits.StuffingTighten + 1
		for _, ip := range []string{"192.0.2.1", "192.0.2.50"} {
			got := newDeviceLogins(e, addr, ip, n)
			want := make([]int, n)
			for i := range want {
				want[i] = 200
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("new-device logins from %s (-got +want):\n%s", ip, diff)
			}
		}
	})
}

// TestStuffingFlagsTheAddressBeforeItsNetwork: one address failing against
// many existing accounts is flagged and slowed down on its own; its
// neighbours in the /24 are not.
func TestStuffingFlagsTheAddressBeforeItsNetwork(t *testing.T) {
	lim := identity.Limits{StuffingAccounts: 3}
	eachIDEnv(t, lim, func(t *testing.T, e *idEnv) {
		for i := range 3 {
			e.agent("owner", "198.51.100.81").signup(fmt.Sprintf("victim%d@example.com", i), pwAlice)
		}
		bot := e.agent("bot", "192.0.2.7")
		for i := range 3 {
			bot.login(fmt.Sprintf("victim%d@example.com", i), "leaked password 1").want(t, 401)
		}
		if diff := cmp.Diff(alertSubjects(t, e), []string{identity.AlertStuffingAddress + " 192.0.2.7"}); diff != "" {
			t.Fatalf("alerts (-got +want):\n%s", diff)
		}
		// The address's limit is now LoginIP / 10 = 6 attempts, 3 used.
		for range 3 {
			bot.login("victim0@example.com", "leaked password 1").want(t, 401)
		}
		bot.login("victim0@example.com", "leaked password 1").want(t, 429, "rate_limited")
		// A neighbour logs in from new devices at the full rate.
		n := identity.DefaultLimits.LoginIP.N/identity.DefaultLimits.StuffingTighten + 1
		for i, st := range newDeviceLogins(e, "victim1@example.com", "192.0.2.8", n) {
			if st != 200 {
				t.Errorf("neighbour's login %d: %d, want 200", i+1, st)
			}
		}
	})
}

// TestMadeUpAddressesFromManyNATAddressesLockNobodyOut: ten addresses of
// one /24 each failing ten logins against addresses that have no account
// (below the per-address thresholds, at the network's attempt threshold
// with no success) flag neither the network nor anyone in it: only
// attempts against existing accounts count toward a network's ratio.
func TestMadeUpAddressesFromManyNATAddressesLockNobodyOut(t *testing.T) {
	eachIDEnv(t, identity.Limits{}, func(t *testing.T, e *idEnv) {
		const addr = "carrier-nat-user@example.com"
		e.agent("owner", "198.51.100.82").signup(addr, pwAlice)
		for host := 10; host < 20; host++ {
			ip := fmt.Sprintf("192.0.2.%d", host)
			for i := range 10 {
				e.agent("typo", ip).login(fmt.Sprintf("nobody%d.%d@example.com", host, i), "some password 1").want(t, 401)
			}
		}
		if diff := cmp.Diff(alertSubjects(t, e), []string{}); diff != "" {
			t.Errorf("alerts (-got +want):\n%s", diff)
		}
		n := identity.DefaultLimits.LoginIP.N/identity.DefaultLimits.StuffingTighten + 1
		for i, st := range newDeviceLogins(e, addr, "192.0.2.200", n) {
			if st != 200 {
				t.Errorf("new-device login %d from the same /24: %d, want 200", i+1, st)
			}
		}
	})
}
