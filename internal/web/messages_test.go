package web

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCatalogueIsComplete: both languages have exactly the same keys, no
// message is empty, and a message's fmt verbs are the same in both.
func TestCatalogueIsComplete(t *testing.T) {
	verbs := regexp.MustCompile(`%[a-z]`)
	for key, ja := range messagesJA {
		en, ok := messagesEN[key]
		if !ok {
			t.Errorf("%q is in Japanese, not in English", key)
			continue
		}
		if strings.TrimSpace(ja) == "" || strings.TrimSpace(en) == "" {
			t.Errorf("%q is empty in a language", key)
		}
		if !slices.Equal(verbs.FindAllString(ja, -1), verbs.FindAllString(en, -1)) {
			t.Errorf("%q: verbs differ: ja %q, en %q", key, ja, en)
		}
	}
	for key := range messagesEN {
		if _, ok := messagesJA[key]; !ok {
			t.Errorf("%q is in English, not in Japanese", key)
		}
	}
}

// TestTemplatesNameOnlyKnownKeys: every key a template or a handler
// names is in the catalogue (a missing one would show itself).
func TestTemplatesNameOnlyKnownKeys(t *testing.T) {
	// In templates: .T "key"; in Go: any literal "prefix.name" whose
	// prefix is one of the catalogue's.
	tmplKey := regexp.MustCompile(`\.T "([a-z_.]+)"`)
	goKey := regexp.MustCompile(`"([a-z]+)\.([a-z_]+)"`)
	prefixes := map[string]bool{}
	for k := range messagesJA {
		p, _, _ := strings.Cut(k, ".")
		prefixes[p] = true
	}
	var sources []string
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, p)
		sources = append(sources, string(b))
		return err
	})
	var keys []string
	for _, src := range sources {
		for _, m := range tmplKey.FindAllStringSubmatch(src, -1) {
			keys = append(keys, m[1])
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	goFiles, _ := fs.Glob(goSources{}, "*.go")
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := fs.ReadFile(goSources{}, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			if prefixes[m[1]] && f != "messages.go" {
				keys = append(keys, m[1]+"."+m[2])
			}
		}
	}
	for _, key := range keys {
		if _, ok := messagesJA[key]; !ok {
			t.Errorf("%q is named but not in the catalogue", key)
		}
	}
	if n := len(keys); n < 50 {
		t.Fatalf("found only %d keys named; is the pattern right?", n)
	}
}

func TestYenAndTime(t *testing.T) {
	at := time.Date(2026, 3, 31, 15, 4, 0, 0, time.UTC) // 00:04 on 1 April in Tokyo
	tests := []struct {
		lang     string
		amount   int64
		wantYen  string
		wantTime string
	}{
		{"ja", 0, "0円", "2026年4月1日 00:04"},
		{"ja", 1234567, "1,234,567円", "2026年4月1日 00:04"},
		{"en", 999, "¥999", "1 Apr 2026 00:04 JST"},
		{"en", 1000, "¥1,000", "1 Apr 2026 00:04 JST"},
		{"en", -25000, "-¥25,000", "1 Apr 2026 00:04 JST"},
	}
	for _, tt := range tests {
		l := langs[tt.lang]
		if got := l.Yen(tt.amount); got != tt.wantYen {
			t.Errorf("%s Yen(%d) = %q, want %q", tt.lang, tt.amount, got, tt.wantYen)
		}
		if got := l.Time(at); got != tt.wantTime {
			t.Errorf("%s Time = %q, want %q", tt.lang, got, tt.wantTime)
		}
	}
}
