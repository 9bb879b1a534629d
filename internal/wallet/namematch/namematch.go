// Package namematch decides whether a bank account holder's name is the
// same person's name as the one identity verification (KYC) confirmed.
//
// Japanese banks report the holder in katakana (often half-width, as in the
// Zengin format: ﾔﾏﾀﾞ ﾀﾛｳ) and in romaji; the KYC name may be in either
// script. Match normalises both sides — NFKC (full-width and half-width
// forms), case, every kind of space, middle dots and commas — folds
// hiragana into katakana and small kana into large ones (bank names write
// キョウコ as キヨウコ), and compares:
//
//   - kana with kana;
//   - romaji with romaji, after folding the long-vowel spellings of
//     Hepburn (TAROU, TAROO and TARO are one name; YUUKI and YUKI too) and
//     M before B/M/P (JUMPEI, JUNPEI);
//   - romaji with kana, through a Hepburn romanisation of the kana;
//
// with family and given names in either order. Names in kanji cannot be
// compared with a bank's kana without a reading dictionary: Match returns
// false for them, and the caller asks for the name in kana or romaji.
//
// Match errs on the side of "no": a false match would let a bank account
// of someone else be linked, which is the docomo-koza fraud.
package namematch

import (
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// nameBytesMax bounds a name Match looks at; longer input never matches.
const nameBytesMax = 256

// Match reports whether kycName is the name of the holder given by the bank
// as holderKana and holderRomaji (either may be empty).
func Match(kycName, holderKana, holderRomaji string) bool {
	k := analyse(kycName)
	if k.empty() {
		return false
	}
	for _, h := range []string{holderKana, holderRomaji} {
		if k.matches(analyse(h)) {
			return true
		}
	}
	return false
}

// keys are the comparable spellings of one name, one per order of its parts.
type keys struct {
	kana []string // folded katakana
	roma []string // folded romaji
}

func (k keys) empty() bool { return len(k.kana) == 0 && len(k.roma) == 0 }

func (k keys) matches(o keys) bool {
	return intersects(k.kana, o.kana) || intersects(k.roma, o.roma)
}

func intersects(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x != "" && x == y {
				return true
			}
		}
	}
	return false
}

func analyse(name string) keys {
	if len(name) > nameBytesMax || !utf8.ValidString(name) {
		return keys{}
	}
	parts := split(norm.NFKC.String(name))
	if len(parts) == 0 {
		return keys{}
	}
	switch {
	case allRunes(parts, isKana):
		var kana, roma []string
		for _, p := range parts {
			p = toKatakana(p)
			r, ok := hepburn(p)
			if !ok {
				return keys{}
			}
			kana = append(kana, foldSmallKana(p))
			roma = append(roma, r)
		}
		return keys{kana: orders(kana, func(s string) string { return s }), roma: orders(roma, foldRomaji)}
	case allRunes(parts, isLatin):
		for i, p := range parts {
			parts[i] = strings.ToUpper(strings.ReplaceAll(p, "'", ""))
		}
		return keys{roma: orders(parts, foldRomaji)}
	}
	return keys{}
}

// split cuts a normalised name at spaces, middle dots, commas and periods.
func split(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case ' ', '\t', '\n', '\r', '\u3000', '・', '･', '·', '‧', ',', '、', '.', '。', '-', '‐':
			return true
		}
		return r < 0x20
	})
}

// orders joins the parts in their order, reversed (family and given name
// swapped), and sorted, then folds each join.
func orders(parts []string, fold func(string) string) []string {
	rev := make([]string, len(parts))
	for i, p := range parts {
		rev[len(parts)-1-i] = p
	}
	sorted := append([]string(nil), parts...)
	sort.Strings(sorted)
	return []string{
		fold(strings.Join(parts, "")),
		fold(strings.Join(rev, "")),
		fold(strings.Join(sorted, "")),
	}
}

func allRunes(parts []string, ok func(rune) bool) bool {
	for _, p := range parts {
		for _, r := range p {
			if !ok(r) {
				return false
			}
		}
	}
	return true
}

func isKana(r rune) bool {
	return r >= 'ぁ' && r <= 'ゖ' || r >= 'ァ' && r <= 'ヺ' || r == 'ー'
}

func isLatin(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '\''
}

// toKatakana maps hiragana to katakana (U+3041..U+3096 → U+30A1..U+30F6).
func toKatakana(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'ぁ' && r <= 'ゖ' {
			return r + 0x60
		}
		return r
	}, s)
}

var smallToLarge = strings.NewReplacer(
	"ァ", "ア", "ィ", "イ", "ゥ", "ウ", "ェ", "エ", "ォ", "オ",
	"ッ", "ツ", "ャ", "ヤ", "ュ", "ユ", "ョ", "ヨ", "ヮ", "ワ", "ヵ", "カ", "ヶ", "ケ",
)

func foldSmallKana(s string) string { return smallToLarge.Replace(s) }

// foldRomaji folds spelling variants of one romanised name into one: a
// doubled vowel or OU becomes one vowel, M before B, M or P becomes N, and
// CCH becomes TCH.
func foldRomaji(s string) string {
	s = strings.ReplaceAll(s, "CCH", "TCH")
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 'M' && i+1 < len(s) && (s[i+1] == 'B' || s[i+1] == 'M' || s[i+1] == 'P') {
			c = 'N'
		}
		if n := len(out); n > 0 && isVowel(c) && (out[n-1] == c || out[n-1] == 'O' && c == 'U') {
			continue
		}
		out = append(out, c)
	}
	return string(out)
}

func isVowel(c byte) bool { return c == 'A' || c == 'I' || c == 'U' || c == 'E' || c == 'O' }
