package namematch

import "strings"

// hepburn romanises katakana in (modified) Hepburn, upper case: シ SHI,
// チ CHI, ツ TSU, フ FU, ジ and ヂ JI, キャ KYA, ッ doubling the next
// consonant (ッチ TCHI), ン N, ー repeating the vowel before it. It reports
// false for anything it cannot romanise.
func hepburn(s string) (string, bool) {
	rs := []rune(s)
	var b strings.Builder
	double := false
	for i := 0; i < len(rs); i++ {
		var syl string
		if i+1 < len(rs) {
			if v, ok := digraphs[string(rs[i:i+2])]; ok {
				syl = v
				i++
			}
		}
		if syl == "" {
			switch rs[i] {
			case 'ッ':
				double = true
				continue
			case 'ー':
				if v := lastVowel(b.String()); v != 0 {
					b.WriteByte(v)
				}
				continue
			}
			v, ok := monographs[rs[i]]
			if !ok {
				return "", false
			}
			syl = v
		}
		if double {
			double = false
			switch {
			case strings.HasPrefix(syl, "CH"):
				b.WriteByte('T')
			case !isVowel(syl[0]):
				b.WriteByte(syl[0])
			}
		}
		b.WriteString(syl)
	}
	return b.String(), true
}

func lastVowel(s string) byte {
	if s == "" {
		return 0
	}
	if c := s[len(s)-1]; isVowel(c) {
		return c
	}
	return 0
}

var monographs = map[rune]string{
	'ア': "A", 'イ': "I", 'ウ': "U", 'エ': "E", 'オ': "O",
	'カ': "KA", 'キ': "KI", 'ク': "KU", 'ケ': "KE", 'コ': "KO",
	'サ': "SA", 'シ': "SHI", 'ス': "SU", 'セ': "SE", 'ソ': "SO",
	'タ': "TA", 'チ': "CHI", 'ツ': "TSU", 'テ': "TE", 'ト': "TO",
	'ナ': "NA", 'ニ': "NI", 'ヌ': "NU", 'ネ': "NE", 'ノ': "NO",
	'ハ': "HA", 'ヒ': "HI", 'フ': "FU", 'ヘ': "HE", 'ホ': "HO",
	'マ': "MA", 'ミ': "MI", 'ム': "MU", 'メ': "ME", 'モ': "MO",
	'ヤ': "YA", 'ユ': "YU", 'ヨ': "YO",
	'ラ': "RA", 'リ': "RI", 'ル': "RU", 'レ': "RE", 'ロ': "RO",
	'ワ': "WA", 'ヰ': "I", 'ヱ': "E", 'ヲ': "O", 'ン': "N",
	'ガ': "GA", 'ギ': "GI", 'グ': "GU", 'ゲ': "GE", 'ゴ': "GO",
	'ザ': "ZA", 'ジ': "JI", 'ズ': "ZU", 'ゼ': "ZE", 'ゾ': "ZO",
	'ダ': "DA", 'ヂ': "JI", 'ヅ': "ZU", 'デ': "DE", 'ド': "DO",
	'バ': "BA", 'ビ': "BI", 'ブ': "BU", 'ベ': "BE", 'ボ': "BO",
	'パ': "PA", 'ピ': "PI", 'プ': "PU", 'ペ': "PE", 'ポ': "PO",
	'ヴ': "VU",
	// Small kana standing alone (bank spellings, typos) read as large.
	'ァ': "A", 'ィ': "I", 'ゥ': "U", 'ェ': "E", 'ォ': "O",
	'ャ': "YA", 'ュ': "YU", 'ョ': "YO", 'ヮ': "WA", 'ヵ': "KA", 'ヶ': "KE",
}

var digraphs = map[string]string{
	"キャ": "KYA", "キュ": "KYU", "キョ": "KYO",
	"シャ": "SHA", "シュ": "SHU", "ショ": "SHO", "シェ": "SHE",
	"チャ": "CHA", "チュ": "CHU", "チョ": "CHO", "チェ": "CHE",
	"ニャ": "NYA", "ニュ": "NYU", "ニョ": "NYO",
	"ヒャ": "HYA", "ヒュ": "HYU", "ヒョ": "HYO",
	"ミャ": "MYA", "ミュ": "MYU", "ミョ": "MYO",
	"リャ": "RYA", "リュ": "RYU", "リョ": "RYO",
	"ギャ": "GYA", "ギュ": "GYU", "ギョ": "GYO",
	"ジャ": "JA", "ジュ": "JU", "ジョ": "JO", "ジェ": "JE",
	"ヂャ": "JA", "ヂュ": "JU", "ヂョ": "JO",
	"ビャ": "BYA", "ビュ": "BYU", "ビョ": "BYO",
	"ピャ": "PYA", "ピュ": "PYU", "ピョ": "PYO",
	"ファ": "FA", "フィ": "FI", "フェ": "FE", "フォ": "FO",
	"ティ": "TI", "ディ": "DI", "トゥ": "TU", "ドゥ": "DU",
	"ウィ": "WI", "ウェ": "WE", "ウォ": "WO",
	"ヴァ": "VA", "ヴィ": "VI", "ヴェ": "VE", "ヴォ": "VO",
	"ツァ": "TSA", "ツィ": "TSI", "ツェ": "TSE", "ツォ": "TSO",
}
