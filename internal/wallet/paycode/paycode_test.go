package paycode

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// luhnValid is the textbook Luhn validation, independent of luhnCheck.
func luhnValid(s string) bool {
	sum := 0
	for i := 0; i < len(s); i++ {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c, err := New()
		if err != nil {
			t.Fatal(err)
		}
		s := c.String()
		if len(s) != Digits || !strings.HasPrefix(s, Prefix) || !luhnValid(s) {
			t.Fatalf("bad code %q", s)
		}
		if seen[s] {
			t.Fatalf("duplicate code %q", s)
		}
		seen[s] = true
		back, err := Parse(s)
		if err != nil || back != c {
			t.Fatalf("Parse(%q) = %v, %v", s, back, err)
		}
		if back, err := Parse(c.Grouped()); err != nil || back != c {
			t.Fatalf("Parse(grouped %q) = %v, %v", c.Grouped(), back, err)
		}
	}
}

// Every random digit position takes every value: the digits are not
// stuck (a coarse check that the 20 random digits are all random).
func TestNewUsesEveryDigitPosition(t *testing.T) {
	var seen [randomDigits][10]bool
	for range 2000 {
		c, _ := New()
		for i := range randomDigits {
			seen[i][c.String()[len(Prefix)+i]-'0'] = true
		}
	}
	for i := range seen {
		for d, ok := range seen[i] {
			if !ok {
				t.Errorf("position %d never had digit %d", i, d)
			}
		}
	}
}

func TestParse(t *testing.T) {
	const good = "8123456789012345678909"
	if !luhnValid(good) {
		t.Fatalf("test vector %q is not Luhn-valid", good)
	}
	swapped := good[:5] + string(good[6]) + string(good[5]) + good[7:]
	tests := []struct {
		name   string
		in     string
		wantOK bool
	}{
		{"valid", good, true},
		{"grouped with spaces", "8123 4567 8901 2345 6789 09", true},
		{"grouped with hyphens", "8123-4567-8901-2345-6789-09", true},
		{"empty", "", false},
		{"wrong check digit", good[:21] + "4", false},
		{"one digit changed", "8123456789012345678919", false},
		{"neighbours swapped", swapped, false},
		{"wrong prefix", "7" + good[1:], false},
		{"too short", good[:21], false},
		{"too long", good + "0", false},
		{"letters", "812345678901234567890a", false},
		{"full-width digits", "８１２３４５６７８９０１２３４５６７８９０３", false},
		{"very long input", strings.Repeat(" ", 100) + good, false},
		{"newline", good + "\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.in)
			if tt.wantOK {
				if err != nil || c.String() != good {
					t.Fatalf("Parse = %q, %v", c, err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Invalid || e.MessageJA == "" {
				t.Fatalf("Parse = %v, want invalid_request with a Japanese message", err)
			}
		})
	}
}

func TestHash(t *testing.T) {
	c, err := Parse("8123456789012345678909")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("8123456789012345678909"))
	if got, want := c.Hash(), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("Hash = %s, want %s", got, want)
	}
	if grouped, _ := Parse(c.Grouped()); grouped.Hash() != c.Hash() {
		t.Fatal("grouped spelling hashes differently")
	}
	if strings.Contains(c.Hash(), c.String()) {
		t.Fatal("hash contains the code")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("8123456789012345678909")
	f.Add("8123 4567 8901 2345 6789 09")
	f.Add("")
	f.Add("0000000000000000000000")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("error not invalid_request: %v", err)
			}
			return
		}
		d := c.String()
		if len(d) != Digits || !strings.HasPrefix(d, Prefix) || !luhnValid(d) {
			t.Fatalf("accepted %q as %q", s, d)
		}
		if again, err := Parse(c.Grouped()); err != nil || again != c {
			t.Fatalf("grouped round trip: %v", err)
		}
	})
}
