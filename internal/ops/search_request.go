package ops

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/activity"
	"github.com/saifu-pay/saifu/internal/apperr"
)

// Bounds of a search's request.
const (
	// searchStepsMax bounds a pattern's steps: the incidents of PRODUCT.md
	// need three (a reset, a sign-in from a new device, a top-up).
	searchStepsMax = 8
	// searchWithinMin and searchWithinMax bound the time from a pattern's
	// first event to its last: a minute (finer means nothing to a person
	// looking back) to 90 days (a quarter's aftermath of an incident).
	searchWithinMin = time.Minute
	searchWithinMax = 90 * 24 * time.Hour
	// searchRangeMax bounds since to until, and searchSinceDefault is
	// since when none is given (before until). The events a search reads
	// are bounded apart from these (searchEventsMax).
	searchRangeMax     = 92 * 24 * time.Hour
	searchSinceDefault = 30 * 24 * time.Hour
)

// SearchRequest is an incident search as an operator asks it (API.md:
// POST /ops/api/search), before it is checked: the pattern as Events (the
// kinds, in order) or as Steps (each with its own conditions), Within
// (a Go duration: the longest time from the first event to the last),
// Since and Until (RFC 3339; until defaults to now, since to 30 days
// before until), and filters: MinAmount and MaxAmount (money events),
// IPRange (a CIDR range; events that carry an address) and Device (a
// device key as a search shows it; events that know their device).
type SearchRequest struct {
	Events               []string
	Steps                []SearchStep
	Within, Since, Until string
	MinAmount, MaxAmount int64
	IPRange, Device      string
}

// SearchStep is one step of a pattern given as steps: the event's kind,
// whether it must come from a device new to the user, and its least
// amount (0: any).
type SearchStep struct {
	Event     string
	NewDevice bool
	MinAmount int64
}

// search is a checked request: the pattern and the time range.
type search struct {
	pattern      activity.Pattern
	since, until time.Time
}

func invalid(en, ja string) error { return apperr.E(apperr.Invalid, en).JA(ja) }

// parseSearch checks req at now and returns the search it asks for, or a
// clear apperr.Invalid.
func parseSearch(req SearchRequest, now time.Time) (search, error) {
	var q search
	steps, err := parseSteps(req)
	if err != nil {
		return search{}, err
	}
	q.pattern.Steps = steps
	if q.pattern.Within, err = parseWithin(req.Within, len(steps)); err != nil {
		return search{}, err
	}
	if q.since, q.until, err = parseRange(req.Since, req.Until, now); err != nil {
		return search{}, err
	}
	if err := q.parseFilters(req); err != nil {
		return search{}, err
	}
	return q, nil
}

func parseSteps(req SearchRequest) ([]activity.Step, error) {
	if (len(req.Events) == 0) == (len(req.Steps) == 0) {
		return nil, invalid("give the pattern as events (the kinds, in order) or as steps, one of the two",
			"パターンは events（種類を順に）か steps のどちらか一方で指定してください")
	}
	in := req.Steps
	for _, k := range req.Events {
		in = append(in, SearchStep{Event: k})
	}
	if len(in) > searchStepsMax {
		return nil, invalid(fmt.Sprintf("give 1 to %d events", searchStepsMax), fmt.Sprintf("イベントは1〜%d個で指定してください", searchStepsMax))
	}
	steps := make([]activity.Step, len(in))
	for i, st := range in {
		switch {
		case !activity.IsKind(st.Event):
			return nil, invalid(fmt.Sprintf("unknown event %q: use one of %s", st.Event, strings.Join(activity.Kinds, ", ")),
				fmt.Sprintf("不明なイベントです: %q（使えるもの: %s）", st.Event, strings.Join(activity.Kinds, ", ")))
		case st.NewDevice && !activity.KnowsDevice(st.Event):
			return nil, invalid("new_device applies to login_new_device and password_reset only",
				"new_device は login_new_device と password_reset にだけ指定できます")
		case st.MinAmount < 0 || (st.MinAmount > 0 && !activity.IsMoney(st.Event)):
			return nil, invalid("a step's min_amount is 0 or more, and applies to money events (card_topup, bank_topup, payment, p2p, withdrawal) only",
				"ステップの min_amount は0以上で、お金の動くイベント（card_topup、bank_topup、payment、p2p、withdrawal）にだけ指定できます")
		}
		steps[i] = activity.Step{Kind: st.Event, NewDevice: st.NewDevice, MinAmount: st.MinAmount}
	}
	return steps, nil
}

// parseWithin reads the window; a pattern of one step needs none.
func parseWithin(s string, steps int) (time.Duration, error) {
	if s == "" {
		if steps == 1 {
			return 0, nil
		}
		return 0, invalid("give within: the longest time from the first event to the last, a duration such as 24h or 90m",
			"within（最初のイベントから最後のイベントまでの最長の時間。例: 24h、90m）を指定してください")
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, invalid("within must be a duration such as 24h or 90m", "within は 24h や 90m のような時間で指定してください")
	}
	if d < searchWithinMin || d > searchWithinMax {
		return 0, invalid("within must be from 1m to 2160h (90 days)", "within は1分〜2160時間（90日）で指定してください")
	}
	return d, nil
}

func parseRange(sinceText, untilText string, now time.Time) (since, until time.Time, err error) {
	until = now
	if untilText != "" {
		if until, err = time.Parse(time.RFC3339, untilText); err != nil {
			return since, until, invalid("until must be a time in RFC 3339, such as 2019-07-04T00:00:00+09:00",
				"until は RFC 3339 形式の日時で指定してください（例: 2019-07-04T00:00:00+09:00）")
		}
	}
	since = until.Add(-searchSinceDefault)
	if sinceText != "" {
		if since, err = time.Parse(time.RFC3339, sinceText); err != nil {
			return since, until, invalid("since must be a time in RFC 3339, such as 2019-07-01T00:00:00+09:00",
				"since は RFC 3339 形式の日時で指定してください（例: 2019-07-01T00:00:00+09:00）")
		}
	}
	switch {
	case since.After(until):
		return since, until, invalid("since must not be after until", "since は until より後にできません")
	case until.Sub(since) > searchRangeMax:
		return since, until, invalid("since to until may span at most 92 days: narrow the window", "since から until までは最長92日です。期間を狭めてください")
	}
	return since.UTC(), until.UTC(), nil
}

// parseFilters reads the filters; each must apply to a step of the
// pattern (one that would filter nothing is a mistake, said so).
func (q *search) parseFilters(req SearchRequest) error {
	has := func(pred func(string) bool) bool {
		for _, st := range q.pattern.Steps {
			if pred(st.Kind) {
				return true
			}
		}
		return false
	}
	p := &q.pattern
	if req.MinAmount != 0 || req.MaxAmount != 0 {
		if req.MinAmount < 0 || req.MaxAmount < 0 || (req.MaxAmount > 0 && req.MinAmount > req.MaxAmount) {
			return invalid("min_amount and max_amount are 0 or more, and min_amount is at most max_amount",
				"min_amount と max_amount は0以上で、min_amount は max_amount 以下にしてください")
		}
		if !has(activity.IsMoney) {
			return invalid("min_amount and max_amount apply to money events (card_topup, bank_topup, payment, p2p, withdrawal), and the pattern has none",
				"min_amount と max_amount はお金の動くイベントに使いますが、パターンにありません")
		}
		p.MinAmount, p.MaxAmount = req.MinAmount, req.MaxAmount
	}
	if req.IPRange != "" {
		pre, err := netip.ParsePrefix(req.IPRange)
		if err != nil {
			return invalid("ip_range must be a CIDR range such as 203.0.113.0/24 or 2001:db8::/32",
				"ip_range は 203.0.113.0/24 や 2001:db8::/32 のような CIDR で指定してください")
		}
		if !has(activity.CarriesIP) {
			return invalid("ip_range applies to login_new_device, password_reset, email_change and factor_change, and the pattern has none",
				"ip_range は login_new_device、password_reset、email_change、factor_change に使いますが、パターンにありません")
		}
		// An IPv4 range written IPv4-mapped (::ffff:203.0.113.0/120) is
		// the IPv4 range: addresses are stored unmapped.
		if a := pre.Addr(); a.Is4In6() && pre.Bits() >= 96 {
			pre = netip.PrefixFrom(a.Unmap(), pre.Bits()-96)
		}
		p.IPRange = pre.Masked()
	}
	if req.Device != "" {
		if !activity.ValidDeviceKey(req.Device) {
			return invalid("device must be a device key as a search shows it (16 hex digits)",
				"device には検索結果に表示される端末キー（16桁の16進数）を指定してください")
		}
		if !has(activity.KnowsDevice) {
			return invalid("device applies to login_new_device and password_reset, and the pattern has none",
				"device は login_new_device と password_reset に使いますが、パターンにありません")
		}
		p.Device = req.Device
	}
	return nil
}

// kinds are the distinct kinds the pattern reads.
func (q search) kinds() []string {
	var out []string
	for _, k := range activity.Kinds {
		for _, st := range q.pattern.Steps {
			if st.Kind == k {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// String is the search as the audit log records it.
func (q search) String() string {
	var b strings.Builder
	b.WriteString("events=")
	for i, st := range q.pattern.Steps {
		if i > 0 {
			b.WriteString(">")
		}
		b.WriteString(st.Kind)
		if st.NewDevice {
			b.WriteString("(new_device)")
		}
		if st.MinAmount > 0 {
			fmt.Fprintf(&b, "(min_amount=%d)", st.MinAmount)
		}
	}
	p := q.pattern
	fmt.Fprintf(&b, " within=%s since=%s until=%s", p.Within, q.since.Format(time.RFC3339), q.until.Format(time.RFC3339))
	if p.MinAmount > 0 {
		fmt.Fprintf(&b, " min_amount=%d", p.MinAmount)
	}
	if p.MaxAmount > 0 {
		fmt.Fprintf(&b, " max_amount=%d", p.MaxAmount)
	}
	if p.IPRange.IsValid() {
		b.WriteString(" ip_range=" + p.IPRange.String())
	}
	if p.Device != "" {
		b.WriteString(" device=" + p.Device)
	}
	return b.String()
}
