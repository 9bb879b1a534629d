package ops

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/activity"
	"github.com/saifu-pay/saifu/internal/apperr"
)

// TestParseSearch: a search request becomes the pattern and range it
// says, with the defaults; every bad one is a clear apperr.Invalid, in
// English and Japanese, naming what to fix.
func TestParseSearch(t *testing.T) {
	now := time.Date(2019, 7, 4, 12, 0, 0, 0, time.UTC)
	good := []struct {
		name string
		req  SearchRequest
		want string // search.String()
	}{
		{"7pay's question, as steps",
			SearchRequest{Steps: []SearchStep{{Event: "password_reset", NewDevice: true}, {Event: "card_topup"}}, Within: "24h", Since: "2019-07-01T00:00:00+09:00"},
			"events=password_reset(new_device)>card_topup within=24h0m0s since=2019-06-30T15:00:00Z until=2019-07-04T12:00:00Z"},
		{"events, the default range: 30 days before now",
			SearchRequest{Events: []string{"password_reset", "card_topup"}, Within: "72h"},
			"events=password_reset>card_topup within=72h0m0s since=2019-06-04T12:00:00Z until=2019-07-04T12:00:00Z"},
		{"one event needs no window; the range ends at until",
			SearchRequest{Events: []string{"bank_link"}, Until: "2019-07-02T00:00:00Z", Device: "", IPRange: ""},
			"events=bank_link within=0s since=2019-06-02T00:00:00Z until=2019-07-02T00:00:00Z"},
		{"every filter",
			SearchRequest{Steps: []SearchStep{{Event: "login_new_device"}, {Event: "withdrawal", MinAmount: 100000}}, Within: "90m",
				Since: "2019-07-01T00:00:00Z", Until: "2019-07-02T00:00:00Z", MinAmount: 10, MaxAmount: 1000000, IPRange: "203.0.113.77/24", Device: "0123456789abcdef"},
			"events=login_new_device>withdrawal(min_amount=100000) within=1h30m0s since=2019-07-01T00:00:00Z until=2019-07-02T00:00:00Z min_amount=10 max_amount=1000000 ip_range=203.0.113.0/24 device=0123456789abcdef"},
		{"an IPv4 range written IPv4-mapped is the IPv4 range",
			SearchRequest{Events: []string{"login_new_device"}, Since: "2019-07-01T00:00:00Z", IPRange: "::ffff:127.0.0.4/128"},
			"events=login_new_device within=0s since=2019-07-01T00:00:00Z until=2019-07-04T12:00:00Z ip_range=127.0.0.4/32"},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			q, err := parseSearch(tt.req, now)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(q.String(), tt.want); d != "" {
				t.Errorf("(-got +want):\n%s", d)
			}
		})
	}
	q, err := parseSearch(good[3].req, now)
	if err != nil {
		t.Fatal(err)
	}
	wantPattern := activity.Pattern{Steps: []activity.Step{{Kind: "login_new_device"}, {Kind: "withdrawal", MinAmount: 100000}},
		Within: 90 * time.Minute, MinAmount: 10, MaxAmount: 1000000, IPRange: netip.MustParsePrefix("203.0.113.0/24"), Device: "0123456789abcdef"}
	if d := cmp.Diff(q.pattern, wantPattern, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
		t.Errorf("pattern (-got +want):\n%s", d)
	}
	if d := cmp.Diff(q.kinds(), []string{"login_new_device", "withdrawal"}); d != "" {
		t.Errorf("kinds (-got +want):\n%s", d)
	}

	two := []string{"password_reset", "card_topup"}
	bad := []struct {
		name string
		req  SearchRequest
		want string // in the English message
	}{
		{"no pattern", SearchRequest{Within: "24h"}, "give the pattern as events"},
		{"events and steps", SearchRequest{Events: two, Steps: []SearchStep{{Event: "p2p"}}, Within: "24h"}, "one of the two"},
		{"nine events", SearchRequest{Events: strings.Split(strings.Repeat("p2p,", 9)[:35], ","), Within: "24h"}, "give 1 to 8 events"},
		{"an unknown event", SearchRequest{Events: []string{"password_reset", "card_top_up"}, Within: "24h"}, `unknown event "card_top_up": use one of login_new_device,`},
		{"new_device on a top-up", SearchRequest{Steps: []SearchStep{{Event: "card_topup", NewDevice: true}}}, "new_device applies to login_new_device and password_reset"},
		{"a step's min_amount on a reset", SearchRequest{Steps: []SearchStep{{Event: "password_reset", MinAmount: 5}}}, "applies to money events"},
		{"a negative step min_amount", SearchRequest{Steps: []SearchStep{{Event: "card_topup", MinAmount: -5}}}, "0 or more"},
		{"no window for two events", SearchRequest{Events: two}, "give within"},
		{"a window in days", SearchRequest{Events: two, Within: "1d"}, "within must be a duration such as 24h"},
		{"a window under a minute", SearchRequest{Events: two, Within: "30s"}, "from 1m to 2160h"},
		{"a window over 90 days", SearchRequest{Events: two, Within: "2161h"}, "from 1m to 2160h"},
		{"a negative window", SearchRequest{Events: two, Within: "-24h"}, "from 1m to 2160h"},
		{"since not RFC 3339", SearchRequest{Events: two, Within: "24h", Since: "2019-07-01"}, "since must be a time in RFC 3339"},
		{"until not RFC 3339", SearchRequest{Events: two, Within: "24h", Until: "tomorrow"}, "until must be a time in RFC 3339"},
		{"since after until", SearchRequest{Events: two, Within: "24h", Since: "2019-07-03T00:00:00Z", Until: "2019-07-02T00:00:00Z"}, "since must not be after until"},
		{"a range over 92 days", SearchRequest{Events: two, Within: "24h", Since: "2019-01-01T00:00:00Z"}, "at most 92 days"},
		{"a negative amount", SearchRequest{Events: two, Within: "24h", MinAmount: -1}, "0 or more"},
		{"min over max", SearchRequest{Events: two, Within: "24h", MinAmount: 5000, MaxAmount: 100}, "min_amount is at most max_amount"},
		{"amounts without money", SearchRequest{Events: []string{"password_reset", "email_change"}, Within: "24h", MaxAmount: 100}, "the pattern has none"},
		{"a bad CIDR", SearchRequest{Events: two, Within: "24h", IPRange: "203.0.113.0"}, "ip_range must be a CIDR range"},
		{"an address range without an event that carries one", SearchRequest{Events: []string{"card_topup", "p2p"}, Within: "24h", IPRange: "203.0.113.0/24"}, "ip_range applies to"},
		{"a device that is no key", SearchRequest{Events: two, Within: "24h", Device: "my-phone"}, "device must be a device key"},
		{"a device key in capitals", SearchRequest{Events: two, Within: "24h", Device: "0123456789ABCDEF"}, "device must be a device key"},
		{"a device without an event that knows it", SearchRequest{Events: []string{"card_topup", "p2p"}, Within: "24h", Device: "0123456789abcdef"}, "device applies to"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseSearch(tt.req, now)
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Invalid {
				t.Fatalf("got %v, want apperr.Invalid", err)
			}
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q does not say %q", e.Message, tt.want)
			}
			if e.MessageJA == "" {
				t.Errorf("no Japanese message for %q", e.Message)
			}
		})
	}
}
