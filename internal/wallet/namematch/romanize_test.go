package namematch

import "testing"

func TestRomanize(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   string
		wantOK bool
	}{
		{"katakana", "サイフストア", "SAIFUSUTOA", true},
		{"hiragana and a space", "やまだ　しょうてん", "YAMADA SHOUTEN", true},
		{"middle dot", "カフェ・サイフ", "KAFE SAIFU", true},
		{"half-width kana", "ｻｲﾌ ｶﾌｪ", "SAIFU KAFE", true},
		{"long vowel and small tsu", "コーヒーショップ", "KOOHIISHOPPU", true},
		{"kana then ASCII", "サイフ Cafe 2", "SAIFU Cafe 2", true},
		{"ASCII glued to kana", "Cafeサイフ", "CafeSAIFU", true},
		{"full-width ASCII", "ＳＡＩＦＵ", "SAIFU", true},
		{"ASCII unchanged", "Saifu Cafe", "Saifu Cafe", true},
		{"kanji", "山田商店", "", false},
		{"kana and kanji", "サイフ商店", "", false},
		{"emoji", "サイフ☕", "", false},
		{"only spaces", "　・ ", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Romanize(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Romanize(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
