package usertext

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		max      int
		wantLine string
		want     string
	}{
		{name: "plain", in: "ランチ代です", max: 200, wantLine: "ランチ代です", want: "ランチ代です"},
		{name: "newlines fold", in: "ありがとう\r\n\n【saifu】重要なお知らせ\nアカウントが停止されました", max: 200,
			wantLine: "ありがとう 【saifu】重要なお知らせ アカウントが停止されました",
			want:     "ありがとう 【saifu】重要なお知らせ アカウントが停止されました"},
		{name: "unicode line and paragraph separators", in: "a\u2028b\u2029c\u0085d\ve\ff", max: 200, wantLine: "a b c d e f", want: "a b c d e f"},
		{name: "nul and controls", in: "pay\x00me\x07 \x1b[31mnow\x7f\u0080\u009b", max: 200, wantLine: "payme [31mnow", want: "payme [31mnow"},
		{name: "right-to-left override", in: "invoice\u202Efdp.exe", max: 200, wantLine: "invoicefdp.exe", want: "invoicefdp[.]exe"},
		{name: "other bidi controls", in: "\u202Aa\u202Bb\u202Cc\u202Dd\u2066e\u2067f\u2068g\u2069h\u200Ei\u200Fj\u061Ck", max: 200,
			wantLine: "abcdefghijk", want: "abcdefghijk"},
		{name: "zero width and bom", in: "sa\u200Bi\u200Cf\u200Du\uFEFF\u00AD", max: 200, wantLine: "saifu", want: "saifu"},
		{name: "invalid utf8", in: "ok\xff\xfe!", max: 200, wantLine: "ok!", want: "ok!"},
		{name: "https url", in: "詳細は https://saifu-support.example/login へ", max: 200,
			wantLine: "詳細は https://saifu-support.example/login へ", want: "詳細は hxxps[:]//saifu-support[.]example/login へ"},
		{name: "upper-case scheme", in: "HTTP://EVIL.EXAMPLE", max: 200, wantLine: "HTTP://EVIL.EXAMPLE", want: "hxxp[:]//EVIL[.]EXAMPLE"},
		{name: "bare domain", in: "go to www.saifu-login.jp now", max: 200, wantLine: "go to www.saifu-login.jp now", want: "go to www[.]saifu-login[.]jp now"},
		{name: "full-width dot domain", in: "evil．com と evil。com", max: 200, wantLine: "evil．com と evil。com", want: "evil[.]com と evil[.]com"},
		{name: "full-width url", in: "ｈｔｔｐｓ：／／ｅｖｉｌ．ｅｘａｍｐｌｅ／ｌｏｇｉｎ", max: 200,
			wantLine: "ｈｔｔｐｓ：／／ｅｖｉｌ．ｅｘａｍｐｌｅ／ｌｏｇｉｎ", want: "hxxps[:]//evil[.]example/login"},
		{name: "other scheme", in: "intent://x", max: 200, wantLine: "intent://x", want: "intent[:]//x"},
		{name: "numbers and japanese stay", in: "3.5個。ありがとう。", max: 200, wantLine: "3.5個。ありがとう。", want: "3.5個。ありがとう。"},
		{name: "spaces collapse and trim", in: "  a \t\u3000 b  ", max: 200, wantLine: "a b", want: "a b"},
		{name: "cap", in: strings.Repeat("あ", 10), max: 5, wantLine: "ああああ…", want: "ああああ…"},
		{name: "cap after defang", in: "a.bc.de", max: 6, wantLine: "a.bc.…", want: "a[.]b…"},
		{name: "only invisible", in: "\u202E\x00\u200B", max: 200, wantLine: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(Line(tt.in, tt.max), tt.wantLine); diff != "" {
				t.Errorf("Line (-got +want):\n%s", diff)
			}
			got := Clean(tt.in, tt.max)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Clean (-got +want):\n%s", diff)
			}
			if again := Clean(got, tt.max); again != got {
				t.Errorf("Clean not idempotent: %q → %q", got, again)
			}
		})
	}
}

// FuzzClean checks the promises on arbitrary input.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"a\nb", "https://x.y", "\u202Eabc", "\x00", "evil。com"} {
		f.Add(s, 20)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 500 {
			return
		}
		for _, got := range []string{Line(s, max), Clean(s, max)} {
			if !utf8.ValidString(got) || utf8.RuneCountInString(got) > max {
				t.Fatalf("%q: %q breaks the bounds", s, got)
			}
			for _, r := range got {
				if r != ' ' && (isSpace(r) || invisible(r)) {
					t.Fatalf("%q: %q keeps %U", s, got, r)
				}
			}
		}
		c := Clean(s, max)
		if Clean(c, max) != c || strings.Contains(strings.ToLower(c), "://") {
			t.Fatalf("%q: Clean %q not idempotent or keeps a scheme", s, c)
		}
	})
}
