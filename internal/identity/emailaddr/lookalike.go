package emailaddr

import (
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// checkLookalike refuses a local part or domain label that a person could
// read as a different, plain address: invisible characters, compatibility
// forms (fullwidth, ligatures, mathematical letters), mixed scripts, and
// words written entirely in Latin look-alikes of another script.
func checkLookalike(s string) error {
	for _, r := range s {
		if r < 0x80 {
			continue
		}
		if invisible(r) {
			return invalid("The email address contains an invisible character.", "メールアドレスに見えない文字が含まれています。")
		}
		if !unicode.IsLetter(r) && !unicode.IsMark(r) {
			return invalid("The email address contains a symbol that is not allowed.", "メールアドレスに使えない記号が含まれています。")
		}
		if latinLookalike(r) {
			return invalid("The email address contains a character that looks like another one.", "メールアドレスに紛らわしい文字が含まれています。")
		}
	}
	if !norm.NFKC.IsNormalString(s) {
		return invalid("The email address contains full-width or other compatibility characters; type it in plain half-width characters.", "メールアドレスに全角文字などの互換文字が含まれています。半角で入力してください。")
	}
	scripts := scriptsOf(s)
	if !allowedMix(scripts) {
		return invalid("The email address mixes alphabets (for example Latin with Cyrillic or Greek).", "メールアドレスに異なる文字体系（ラテン文字とキリル文字やギリシャ文字など）が混在しています。")
	}
	if wholeScriptConfusable(s, scripts) {
		return invalid("The email address is written in letters that imitate Latin ones.", "メールアドレスがラテン文字に似せた文字で書かれています。")
	}
	return nil
}

// invisible reports characters that render as nothing or change the
// rendering of their neighbours: format characters (zero-width space,
// joiners, bidi controls, BOM), default-ignorable code points (Hangul
// fillers, variation selectors), private-use and unassigned code points.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(unicode.Noncharacter_Code_Point, r) ||
		unicode.Is(unicode.Co, r) ||
		unicode.Is(unicode.Cs, r) ||
		r == 0x034F || r == 0x115F || r == 0x1160 || r == 0x3164 || r == 0xFFA0 || r == 0x2800 ||
		!unicode.In(r, assigned...)
}

// assigned lists every general category, so that a rune in none of them is
// unassigned in the Unicode version Go ships.
var assigned = []*unicode.RangeTable{unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C}

// latinLookalike reports Latin-script letters outside ASCII that are read as
// plain ASCII letters: dotless i, IPA and phonetic small capitals, clicks
// that look like l or !.
func latinLookalike(r rune) bool {
	switch {
	case r == 0x0131, r == 0x0138, r >= 0x01C0 && r <= 0x01C3:
		return true
	case r >= 0x0250 && r <= 0x02AF: // IPA Extensions
		return true
	case r >= 0x1D00 && r <= 0x1DBF: // Phonetic Extensions (small capitals)
		return true
	}
	return false
}

// scriptsOf returns the scripts of s's letters and marks, without Common
// and Inherited (digits, punctuation, combining marks shared by scripts).
func scriptsOf(s string) map[string]bool {
	out := map[string]bool{}
	for _, r := range s {
		if r < 0x80 {
			if ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') {
				out["Latin"] = true
			}
			continue
		}
		for name, table := range unicode.Scripts {
			if name == "Common" || name == "Inherited" {
				continue
			}
			if unicode.Is(table, r) {
				out[name] = true
				break
			}
		}
	}
	return out
}

// allowedMixes are the script combinations of Unicode's "Highly Restrictive"
// profile (UTS #39 §5.2): Japanese, Chinese and Korean writing mixed with
// Latin. Any single script is allowed too.
var allowedMixes = []map[string]bool{
	{"Latin": true, "Han": true, "Hiragana": true, "Katakana": true},
	{"Latin": true, "Han": true, "Bopomofo": true},
	{"Latin": true, "Han": true, "Hangul": true},
}

func allowedMix(scripts map[string]bool) bool {
	if len(scripts) <= 1 {
		return true
	}
	for _, mix := range allowedMixes {
		inside := true
		for s := range scripts {
			if !mix[s] {
				inside = false
				break
			}
		}
		if inside {
			return true
		}
	}
	return false
}

// wholeScriptConfusable reports a word written only in letters of one
// non-Latin script that each look like a Latin letter: "раура1" in
// Cyrillic reads as "paypal".
func wholeScriptConfusable(s string, scripts map[string]bool) bool {
	if len(scripts) != 1 || scripts["Latin"] {
		return false
	}
	letters := 0
	for _, r := range s {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		if !confusableWithLatin[r] {
			return false
		}
	}
	return letters > 0
}

// confusableWithLatin holds Cyrillic, Greek, Armenian and Cherokee letters
// that look like a Latin letter (after UTS #39's confusables.txt, the
// common cases).
var confusableWithLatin = func() map[rune]bool {
	m := map[rune]bool{}
	for _, r := range "" +
		// Cyrillic
		"аеорсухѕіјһӏԁԛԝѵүАВЕКМНОРСТХЅІЈҮԚԜӀ" +
		// Greek
		"αικνορυχϲϳΑΒΕΖΗΙΚΜΝΟΡΤΥΧ" +
		// Armenian
		"օսցհոզ" +
		// Cherokee
		"ᎠᎡᎪᎫᎬᎳᎷᏀᏔᏚᏞᏟᏢᏴ" {
		m[r] = true
	}
	return m
}()
