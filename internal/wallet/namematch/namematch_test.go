package namematch

import "testing"

func TestMatch(t *testing.T) {
	// The sandbox banks' holders (API.md, "Sandbox fixtures").
	const (
		yamadaKana, yamadaRomaji = "ヤマダ タロウ", "YAMADA TARO"
		suzukiKana, suzukiRomaji = "スズキ ハナコ", "SUZUKI HANAKO"
		tanakaKana, tanakaRomaji = "タナカ イチロウ", "TANAKA ICHIRO"
	)
	tests := []struct {
		name         string
		kyc          string
		kana, romaji string
		want         bool
	}{
		{"same katakana", "ヤマダ タロウ", yamadaKana, yamadaRomaji, true},
		{"katakana without space", "ヤマダタロウ", yamadaKana, yamadaRomaji, true},
		{"full-width space", "ヤマダ　タロウ", yamadaKana, yamadaRomaji, true},
		{"half-width katakana KYC", "ﾔﾏﾀﾞ ﾀﾛｳ", yamadaKana, yamadaRomaji, true},
		{"half-width katakana from the bank", "ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", "", true},
		{"hiragana", "やまだ たろう", yamadaKana, yamadaRomaji, true},
		{"middle dot", "ヤマダ・タロウ", yamadaKana, yamadaRomaji, true},
		{"given name first, katakana", "タロウ ヤマダ", yamadaKana, yamadaRomaji, true},
		{"romaji", "YAMADA TARO", yamadaKana, yamadaRomaji, true},
		{"romaji lower case", "yamada taro", yamadaKana, yamadaRomaji, true},
		{"full-width romaji", "ＹＡＭＡＤＡ　ＴＡＲＯ", yamadaKana, yamadaRomaji, true},
		{"romaji given name first", "Taro Yamada", yamadaKana, yamadaRomaji, true},
		{"romaji with comma", "YAMADA, TARO", yamadaKana, yamadaRomaji, true},
		{"romaji TAROU vs katakana only", "YAMADA TAROU", yamadaKana, "", true},
		{"romaji TARO vs katakana only", "YAMADA TARO", yamadaKana, "", true},
		{"romaji TAROO", "YAMADA TAROO", yamadaKana, "", true},
		{"katakana vs romaji only", "ヤマダ タロウ", "", yamadaRomaji, true},
		{"long vowel mark", "ヤマダ タロー", yamadaKana, "", true},
		{"suzuki katakana", "スズキ ハナコ", suzukiKana, suzukiRomaji, true},
		{"suzuki romaji", "Suzuki Hanako", suzukiKana, suzukiRomaji, true},
		{"suzuki romaji vs kana only", "SUZUKI HANAKO", suzukiKana, "", true},
		{"tanaka katakana", "タナカ イチロウ", tanakaKana, tanakaRomaji, true},
		{"tanaka romaji", "TANAKA ICHIRO", tanakaKana, tanakaRomaji, true},
		{"tanaka ICHIROU vs kana only", "TANAKA ICHIROU", tanakaKana, "", true},
		{"tanaka hiragana", "たなか いちろう", tanakaKana, tanakaRomaji, true},
		{"small kana written large by the bank", "サトウ キョウコ", "ｻﾄｳ ｷﾖｳｺ", "SATO KYOKO", true},
		{"sokuon", "ハットリ", "ハットリ", "", true},
		{"sokuon romaji", "HATTORI", "ハットリ", "", true},
		{"sokuon before chi", "HOTCHI", "ホッチ", "", true},
		{"M before P", "JUMPEI", "ジュンペイ", "", true},
		{"YUUKI vs YUKI", "YUKI", "ユウキ", "", true},

		{"different given name", "YAMADA JIRO", yamadaKana, yamadaRomaji, false},
		{"different given name, katakana", "ヤマダ ジロウ", yamadaKana, yamadaRomaji, false},
		{"different family name", "YAMADA HANAKO", suzukiKana, suzukiRomaji, false},
		{"other fixture", "SUZUKI HANAKO", yamadaKana, yamadaRomaji, false},
		{"other fixture in kana", "タナカ イチロウ", suzukiKana, suzukiRomaji, false},
		{"family name only", "YAMADA", yamadaKana, yamadaRomaji, false},
		{"given name only", "タロウ", yamadaKana, yamadaRomaji, false},
		{"extra name", "YAMADA TARO JIRO", yamadaKana, yamadaRomaji, false},
		{"dakuten differs", "ヤマタ タロウ", yamadaKana, yamadaRomaji, false},
		{"kanji cannot be compared", "山田 太郎", yamadaKana, yamadaRomaji, false},
		{"mixed scripts", "ヤマダ TARO", yamadaKana, yamadaRomaji, false},
		{"empty KYC name", "", yamadaKana, yamadaRomaji, false},
		{"spaces only", "　 ", yamadaKana, yamadaRomaji, false},
		{"empty holder", "YAMADA TARO", "", "", false},
		{"digits", "YAMADA TAR0", yamadaKana, yamadaRomaji, false},
		{"invisible character", "YAMADA\u200bTARO", yamadaKana, yamadaRomaji, false},
		{"Cyrillic look-alike", "YAMАDA TARO", yamadaKana, yamadaRomaji, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Match(tt.kyc, tt.kana, tt.romaji); got != tt.want {
				t.Errorf("Match(%q, %q, %q) = %v, want %v", tt.kyc, tt.kana, tt.romaji, got, tt.want)
			}
		})
	}
}

func TestHepburn(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ヤマダ", "YAMADA"},
		{"イチロウ", "ICHIROU"},
		{"キョウコ", "KYOUKO"},
		{"シンイチ", "SHINICHI"},
		{"ハットリ", "HATTORI"},
		{"ホッチ", "HOTCHI"},
		{"ツヅキ", "TSUZUKI"},
		{"フジ", "FUJI"},
		{"ジュン", "JUN"},
		{"ティナ", "TINA"},
		{"タロー", "TAROO"},
	}
	for _, tt := range tests {
		if got, ok := hepburn(tt.in); !ok || got != tt.want {
			t.Errorf("hepburn(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	if _, ok := hepburn("ヤマ田"); ok {
		t.Error("hepburn accepted a kanji")
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", "YAMADA TARO")
	f.Add("yamada taro", "", "")
	f.Fuzz(func(t *testing.T, kyc, kana, romaji string) {
		got := Match(kyc, kana, romaji)
		// Symmetric in the sense that a name matches itself whenever it
		// matches anything as a holder name.
		if got && !Match(kana, kana, "") && !Match(romaji, "", romaji) {
			t.Fatalf("Match(%q,%q,%q) but neither holder name matches itself", kyc, kana, romaji)
		}
	})
}
