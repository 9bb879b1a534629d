package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// tokyo is the time zone every time is shown in (Japan keeps no summer
// time, so a fixed zone is exact and needs no tzdata).
var tokyo = time.FixedZone("JST", 9*60*60)

// lang is one language of the pages: its catalogue and formats.
type lang struct {
	code  string // "ja" or "en"
	other string // the language the switch offers
	msgs  map[string]string
}

var langs = map[string]*lang{
	"ja": {code: "ja", other: "en", msgs: messagesJA},
	"en": {code: "en", other: "ja", msgs: messagesEN},
}

// Code is the language's code, for <html lang>.
func (l *lang) Code() string { return l.code }

// Other is the code of the language the switch offers.
func (l *lang) Other() string { return l.other }

// T returns the catalogue's message for key, formatted with args when
// given (fmt verbs). A missing key shows itself; a test makes sure none is.
func (l *lang) T(key string, args ...any) string {
	m, ok := l.msgs[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(m, args...)
	}
	return m
}

// Yen formats an amount of yen with thousands separators: "1,234円" in
// Japanese, "¥1,234" in English.
func (l *lang) Yen(n int64) string {
	s := groupThousands(n)
	if l.code == "ja" {
		return s + "円"
	}
	if strings.HasPrefix(s, "-") {
		return "-¥" + s[1:]
	}
	return "¥" + s
}

// Time formats t in Asia/Tokyo.
func (l *lang) Time(t time.Time) string {
	t = t.In(tokyo)
	if l.code == "ja" {
		return t.Format("2006年1月2日 15:04")
	}
	return t.Format("2 Jan 2006 15:04") + " JST"
}

// Clock formats t's time of day in Asia/Tokyo, with seconds.
func (l *lang) Clock(t time.Time) string { return t.In(tokyo).Format("15:04:05") }

func groupThousands(n int64) string {
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-n)
	}
	s := strconv.FormatUint(u, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Label is the catalogue's name of a service's value (a status, a
// movement type) under prefix; a value the catalogue does not know yet
// shows as itself.
func (l *lang) Label(prefix, value string) string {
	if m, ok := l.msgs[prefix+value]; ok {
		return m
	}
	return value
}

// LabelOr is Label, with the catalogue's message fallback for a value the
// catalogue does not know (a decline code from a counterpart, say).
func (l *lang) LabelOr(prefix, value, fallback string) string {
	if m, ok := l.msgs[prefix+value]; ok {
		return m
	}
	return l.T(fallback)
}
