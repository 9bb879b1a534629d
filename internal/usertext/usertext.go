// Package usertext makes text that a user or a third party wrote (a P2P
// message, a merchant's name, a device's user agent) safe to show inside
// saifu's own mails and notices, where a reader trusts every line.
//
// What it promises:
//   - Line returns one line of valid UTF-8: control characters (NUL
//     included), bidirectional controls (U+202E and the others), zero-width
//     and other invisible format characters are gone; newlines, tabs and
//     other spaces are folded into single spaces; the result is at most
//     maxRunes runes, ending in "…" when cut.
//   - Clean is Line and also defangs links: "https://x" becomes
//     "hxxps[:]//x", and the dot of a domain name ("evil.example",
//     "www.saifu-login.jp") becomes "[.]", so no mail program turns the text
//     into a link.
//   - Both are idempotent: cleaning clean text changes nothing.
//
// Neither makes text trustworthy: a template still sets it apart and says
// who wrote it (notify's "user" template function does).
package usertext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// ellipsis ends a cut text.
const ellipsis = "…"

// Line returns s as one safe line of at most maxRunes runes (maxRunes < 1
// means no text at all).
func Line(s string, maxRunes int) string {
	if maxRunes < 1 {
		return ""
	}
	s = strings.ToValidUTF8(s, "")
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case isSpace(r):
			space = b.Len() > 0
			continue
		case invisible(r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return capRunes(b.String(), maxRunes)
}

// Clean is Line with links defanged; see the package comment. Full-width
// forms are folded to their ASCII look-alikes first (ｈｔｔｐｓ：／／ is
// https://), so a link typed in them is defanged too.
func Clean(s string, maxRunes int) string {
	return capRunes(defang(width.Fold.String(Line(s, maxRunes*2))), maxRunes)
}

// isSpace reports characters that separate words or lines: they are folded
// into one ASCII space.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Zs)
}

// invisible reports characters that render as nothing or change how their
// neighbours render: C0 and C1 controls, format characters (bidi controls
// such as U+202E, zero-width space and joiners, BOM, soft hyphen),
// default-ignorable code points (Hangul fillers, variation selectors),
// private-use, surrogate and noncharacter code points, and U+FFFD, which
// only stands for bytes that were not text.
func invisible(r rune) bool {
	return unicode.IsControl(r) ||
		unicode.In(r, unicode.Cf, unicode.Co, unicode.Cs,
			unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector, unicode.Noncharacter_Code_Point) ||
		r == 0x115F || r == 0x1160 || r == 0x3164 || r == 0xFFA0 || r == utf8.RuneError
}

// capRunes cuts s to at most maxRunes runes, the last one "…" when cut.
func capRunes(s string, maxRunes int) string {
	if utf8.RuneCountInString(s) <= maxRunes {
		return s
	}
	r := []rune(s)[:maxRunes-1]
	return strings.TrimRight(string(r), " ") + ellipsis
}
