package emailaddr

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/saifu-pay/saifu/internal/apperr"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{name: "plain", in: "taro@example.com", want: "taro@example.com"},
		{name: "trim and lower domain", in: "  Victim@Example.COM \n", want: "Victim@example.com"},
		{name: "plus and dots", in: "first.last+tag@mail.example.co.jp", want: "first.last+tag@mail.example.co.jp"},
		{name: "NFC composes", in: "jose\u0301@example.com", want: "jos\u00e9@example.com"},
		{name: "japanese local part", in: "山田たろうカタカナー@example.jp", want: "山田たろうカタカナー@example.jp"},
		{name: "japanese with latin", in: "taro山田@example.jp", want: "taro山田@example.jp"},
		{name: "cyrillic name", in: "иван@example.ru", want: "иван@example.ru"},
		{name: "greek name", in: "γιώργος@example.gr", want: "γιώργος@example.gr"},
		{name: "idn domain", in: "taro@例え.jp", want: "taro@例え.jp"},

		{name: "empty", in: "   ", wantErr: true},
		{name: "no at", in: "taro.example.com", wantErr: true},
		{name: "two ats", in: "taro@x@example.com", wantErr: true},
		{name: "empty local", in: "@example.com", wantErr: true},
		{name: "empty domain", in: "taro@", wantErr: true},
		{name: "domain without dot", in: "taro@localhost", wantErr: true},
		{name: "domain empty label", in: "taro@example..com", wantErr: true},
		{name: "domain hyphen edge", in: "taro@-example.com", wantErr: true},
		{name: "domain underscore", in: "taro@ex_ample.com", wantErr: true},
		{name: "inner space", in: "ta ro@example.com", wantErr: true},
		{name: "tab", in: "ta\tro@example.com", wantErr: true},
		{name: "control", in: "ta\x00ro@example.com", wantErr: true},
		{name: "quoted specials", in: `"taro"@example.com`, wantErr: true},
		{name: "leading dot", in: ".taro@example.com", wantErr: true},
		{name: "double dot", in: "ta..ro@example.com", wantErr: true},
		{name: "too long", in: strings.Repeat("a", 60) + "@" + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 60) + "." + strings.Repeat("e", 10) + ".com", wantErr: true},
		{name: "local too long", in: strings.Repeat("a", 65) + "@example.com", wantErr: true},
		{name: "invalid utf8", in: "ta\xffro@example.com", wantErr: true},
		{name: "cyrillic a in paypal", in: "p\u0430ypal@example.com", wantErr: true},
		{name: "greek omicron in latin", in: "g\u03bfogle@example.com", wantErr: true},
		{name: "all cyrillic lookalikes", in: "\u0440\u0430\u0443\u0440\u0430\u04cf@example.com", wantErr: true},
		{name: "all greek lookalikes", in: "\u03bf\u03bf\u03bf@example.com", wantErr: true},
		{name: "fullwidth letters", in: "\uff54\uff41\uff52\uff4f@example.com", wantErr: true},
		{name: "fullwidth at", in: "taro\uff20example.com", wantErr: true},
		{name: "halfwidth katakana", in: "\uff80\uff9b\uff73@example.jp", wantErr: true},
		{name: "math bold", in: "\U0001d42d\U0001d41a\U0001d42b\U0001d428@example.com", wantErr: true},
		{name: "zero width space", in: "ta\u200bro@example.com", wantErr: true},
		{name: "zero width joiner", in: "ta\u200dro@example.com", wantErr: true},
		{name: "bidi override", in: "ta\u202ero@example.com", wantErr: true},
		{name: "soft hyphen", in: "ta\u00adro@example.com", wantErr: true},
		{name: "hangul filler", in: "taro\u3164@example.com", wantErr: true},
		{name: "variation selector", in: "taro\ufe0f@example.com", wantErr: true},
		{name: "dotless i", in: "adm\u0131n@example.com", wantErr: true},
		{name: "small capital", in: "\u1d00dmin@example.com", wantErr: true},
		{name: "non-ascii symbol", in: "taro\u2024x@example.com", wantErr: true},
		{name: "mixed script domain", in: "taro@p\u0430ypal.com", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Normalize(%q) = %q, want error", tc.in, got)
				}
				e, ok := apperr.As(err)
				if !ok || e.Code != apperr.Invalid || e.Message == "" || e.MessageJA == "" {
					t.Fatalf("Normalize(%q) error = %#v, want apperr.Invalid with English and Japanese messages", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestKeyIgnoresCase(t *testing.T) {
	tests := []struct {
		name     string
		a, b     string
		wantSame bool
	}{
		{name: "case only", a: "Victim@Example.com", b: "victim@example.com", wantSame: true},
		{name: "upper everything", a: "VICTIM@EXAMPLE.COM", b: "victim@example.com", wantSame: true},
		{name: "surrounding space", a: " victim@example.com ", b: "victim@example.com", wantSame: true},
		{name: "NFD and NFC", a: "jose\u0301@example.com", b: "JOS\u00c9@example.com", wantSame: true},
		{name: "greek final sigma", a: "αλεξης@example.gr", b: "ΑΛΕΞΗΣ@example.gr", wantSame: true},
		{name: "sharp s", a: "straße@example.de", b: "STRASSE@example.de", wantSame: true},
		{name: "different people", a: "victim@example.com", b: "victim1@example.com", wantSame: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Normalize(tc.a)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Normalize(tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if same := Key(a) == Key(b); same != tc.wantSame {
				t.Fatalf("Key(%q)=%q, Key(%q)=%q: same=%v, want %v", a, Key(a), b, Key(b), same, tc.wantSame)
			}
		})
	}
}

// FuzzNormalize checks the promises on arbitrary input: no panic, output
// within bounds, idempotent, and Key stable under re-normalisation.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"taro@example.com", "Victim@Example.com", "p\u0430ypal@example.com", "山田@例え.jp", "a@b.c", "\uff54@x.y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Normalize(s)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("Normalize(%q) error code %v, want invalid", s, apperr.CodeOf(err))
			}
			return
		}
		if len(got) > addressBytesMax || !utf8.ValidString(got) || strings.Count(got, "@") != 1 {
			t.Fatalf("Normalize(%q) = %q breaks the bounds", s, got)
		}
		again, err := Normalize(got)
		if err != nil || again != got {
			t.Fatalf("Normalize not idempotent: %q → %q → %q, %v", s, got, again, err)
		}
		if k := Key(got); Key(k) != k {
			t.Fatalf("Key not idempotent for %q", got)
		}
		if Key(again) != Key(got) {
			t.Fatalf("Key unstable for %q", got)
		}
	})
}

// TestPunycodeDomain: a domain's xn-- (ASCII-compatible) form and its
// Unicode form are one address, refused or accepted alike.
func TestPunycodeDomain(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     string // "" for refused
		wantSame string // an address that must have the same Key
	}{
		{name: "ace form is the unicode form", in: "pay@xn--r8jz45g.jp", want: "pay@例え.jp", wantSame: "pay@例え.jp"},
		{name: "upper-case ace prefix", in: "pay@XN--R8JZ45G.JP", want: "pay@例え.jp", wantSame: "PAY@例え.jp"},
		{name: "ace subdomain", in: "pay@mail.xn--r8jz45g.jp", want: "pay@mail.例え.jp", wantSame: "pay@mail.例え.jp"},
		{name: "cyrillic a in paypal, ace form", in: "taro@xn--pypal-4ve.com"},
		{name: "all-cyrillic apple, ace form", in: "taro@xn--80ak6aa92e.com"},
		{name: "fullwidth letters, ace form", in: "taro@xn--mi7c2aig.com"},
		{name: "emoji, ace form", in: "taro@xn--ls8h.com"},
		{name: "empty punycode", in: "taro@xn--.jp"},
		{name: "invalid punycode", in: "taro@xn--a.jp"},
		{name: "ace of plain ascii", in: "taro@xn--zz-.jp"},
		{name: "non-canonical ace", in: "taro@xn--abc-.jp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("Normalize(%q) = %q, want refused", tc.in, got)
				}
				if e, ok := apperr.As(err); !ok || e.Code != apperr.Invalid || e.MessageJA == "" {
					t.Fatalf("Normalize(%q) error = %#v, want apperr.Invalid", tc.in, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Normalize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			same, err := Normalize(tc.wantSame)
			if err != nil || Key(same) != Key(got) {
				t.Fatalf("Key(%q) = %q, Key(%q) = %q (%v): want one key", got, Key(got), same, Key(same), err)
			}
		})
	}
}
