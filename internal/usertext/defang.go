package usertext

import (
	"strings"
	"unicode/utf8"
)

// defang breaks what a mail program would turn into a link: a scheme's
// "://" (and the scheme itself for http, https and ftp), and any dot, ASCII
// or full-width, between an ASCII letter, digit or hyphen and an ASCII
// letter, as in a host name. Japanese sentences ("。" between kana) and
// numbers ("3.5") are left alone. Already-defanged text is unchanged.
func defang(s string) string {
	for _, scheme := range []struct{ from, to string }{{"https", "hxxps"}, {"http", "hxxp"}, {"ftp", "fxp"}} {
		s = replaceFold(s, scheme.from+"://", scheme.to+"://")
	}
	s = strings.ReplaceAll(s, "://", "[:]//")
	var b strings.Builder
	b.Grow(len(s) + 8)
	var prev rune
	for i, r := range s {
		if dotLike(r) && hostRune(prev) {
			if next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):]); asciiLetter(next) {
				b.WriteString("[.]")
				prev = ']'
				continue
			}
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// replaceFold replaces every ASCII-case-insensitive occurrence of from.
func replaceFold(s, from, to string) string {
	lower := strings.ToLower(s)
	if len(lower) != len(s) || !strings.Contains(lower, from) {
		// ToLower changed byte lengths (non-ASCII case mappings): fall back
		// to the exact forms users type.
		for _, f := range []string{from, strings.ToUpper(from), strings.ToUpper(from[:1]) + from[1:]} {
			s = strings.ReplaceAll(s, f, to)
		}
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, from)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(to)
		s, lower = s[i+len(from):], lower[i+len(from):]
	}
}

func dotLike(r rune) bool { return r == '.' || r == '．' || r == '。' || r == '｡' }

func asciiLetter(r rune) bool { return ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') }

func hostRune(r rune) bool { return asciiLetter(r) || ('0' <= r && r <= '9') || r == '-' }
