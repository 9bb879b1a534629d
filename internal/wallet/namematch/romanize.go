package namematch

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Romanize spells name for a field that takes printable ASCII only, such
// as the merchant name of an EMV QR code (tag 59): after NFKC (full-width
// letters and digits become ASCII, half-width kana full-width), hiragana
// and katakana in Hepburn, upper case (やまだストア is YAMADA SUTOA); ASCII
// kept as it is; every space, middle dot and run of them one space. It
// reports false for anything else, kanji above all: a kanji name has no
// reading without a dictionary (山田 is YAMADA or YAMATA), so the caller
// asks for the Latin spelling instead of guessing.
func Romanize(name string) (string, bool) {
	if len(name) > nameBytesMax {
		return "", false
	}
	var out []string
	var run []rune // the kana word being read
	kana := false  // whether run is kana
	flush := func() bool {
		if len(run) == 0 {
			return true
		}
		s := string(run)
		if kana {
			var ok bool
			if s, ok = hepburn(toKatakana(s)); !ok {
				return false
			}
		}
		out = append(out, s)
		run = run[:0]
		return true
	}
	for _, r := range norm.NFKC.String(name) {
		switch {
		case r == ' ' || r == '・' || r == '\u3000':
			if !flush() {
				return "", false
			}
			out = append(out, " ")
		case isKana(r):
			if !kana && !flush() {
				return "", false
			}
			kana = true
			run = append(run, r)
		case r > ' ' && r <= '~':
			if kana && !flush() {
				return "", false
			}
			kana = false
			run = append(run, r)
		default:
			return "", false
		}
	}
	if !flush() {
		return "", false
	}
	s := strings.Join(strings.Fields(strings.Join(out, "")), " ")
	return s, s != ""
}
