package notify

import (
	"io/fs"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	data := map[string]any{"Name": "山田 太郎", "Reference": "R-0042"}
	withPhrase := map[string]any{"Name": "Yamada", "Reference": "R-7", "AntiPhishing": "  blue\nfox  "}
	tests := []struct {
		name, tmpl, lang string
		data             map[string]any
		wantSubject      string
		wantBody         []string // substrings, in order
		wantNot          []string
	}{
		{"japanese", "test_notice", "ja", data, "【saifu】テスト通知 山田 太郎 様",
			[]string{"山田 太郎 様", "受付番号: R-0042", "ログイン用のリンクや添付ファイルを送ることはありません"},
			[]string{"フィッシング対策フレーズ", "never sends"}},
		{"english", "test_notice", "en", data, "[saifu] Test notice for 山田 太郎",
			[]string{"Reference: R-0042", "saifu never sends login links or attachments"},
			[]string{"anti-phishing", "ありません"}},
		{"unknown language falls back to japanese", "test_notice", "fr", data, "【saifu】テスト通知 山田 太郎 様",
			[]string{"受付番号"}, nil},
		{"empty language falls back to japanese", "test_notice", "", data, "【saifu】テスト通知 山田 太郎 様",
			[]string{"受付番号"}, nil},
		{"anti-phishing phrase first, one line", "test_notice", "en", withPhrase, "[saifu] Test notice for Yamada",
			[]string{"Your anti-phishing phrase: blue fox\n", "Reference: R-7", "saifu never sends"}, nil},
		{"anti-phishing phrase in japanese", "security_test_notice", "ja", map[string]any{"Name": "山田", "When": "2026-04-01 09:00", "Action": "パスワード変更", "AntiPhishing": "青い狐"},
			"【saifu】セキュリティのお知らせ",
			[]string{"あなたのフィッシング対策フレーズ: 青い狐", "パスワード変更", "ログイン用のリンク"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject, body, err := Render(tt.tmpl, tt.lang, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if subject != tt.wantSubject {
				t.Errorf("subject = %q, want %q", subject, tt.wantSubject)
			}
			rest := body
			for _, w := range tt.wantBody {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("body lacks %q (in order):\n%s", w, body)
				}
				rest = rest[i+len(w):]
			}
			for _, w := range tt.wantNot {
				if strings.Contains(body, w) {
					t.Errorf("body contains %q:\n%s", w, body)
				}
			}
			if !strings.HasSuffix(body, footers[map[bool]string{true: LangEN, false: LangJA}[tt.lang == "en"]]+"\n") {
				t.Errorf("body does not end with the footer:\n%s", body)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name, tmpl string
		data       map[string]any
	}{
		{"unknown template", "no_such_template", nil},
		{"missing data", "test_notice", map[string]any{"Name": "x"}},
	}
	for _, tt := range tests {
		if _, _, err := Render(tt.tmpl, "ja", tt.data); err == nil {
			t.Errorf("%s: Render succeeded", tt.name)
		}
	}
}

// TestTemplatesCarryNoLinks: saifu's mails never contain links, so no
// template may, and every template parses and names a subject.
func TestTemplatesCarryNoLinks(t *testing.T) {
	entries, err := fs.ReadDir(templatesFS, "templates")
	if err != nil || len(entries) == 0 {
		t.Fatalf("templates: %v, %d files", err, len(entries))
	}
	for _, e := range entries {
		src, err := templatesFS.ReadFile("templates/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		lower := strings.ToLower(string(src))
		for _, bad := range []string{"http", "://", "www."} {
			if strings.Contains(lower, bad) {
				t.Errorf("template %s contains %q", e.Name(), bad)
			}
		}
		name, ok := strings.CutSuffix(e.Name(), ".txt")
		if !ok || (!strings.HasSuffix(name, ".ja") && !strings.HasSuffix(name, ".en")) {
			t.Errorf("template file %s is not NAME.ja.txt or NAME.en.txt", e.Name())
			continue
		}
		if _, err := parseTemplate(name, string(src)); err != nil {
			t.Error(err)
		}
	}
	for lang, f := range footers {
		if strings.Contains(f, "http") || strings.Contains(phraseLines[lang], "http") {
			t.Errorf("footer %s contains a link", lang)
		}
	}
}

// TestSecurityNoticesRenderWithoutLinks renders every security_ template
// in both languages with data that itself looks harmless.
func TestSecurityNoticesRenderWithoutLinks(t *testing.T) {
	data := map[string]any{"Name": "Taro", "When": "2026-04-01 09:00 JST", "Action": "password changed", "AntiPhishing": "blue fox"}
	for _, lang := range []string{LangJA, LangEN} {
		_, body, err := Render("security_test_notice", lang, data)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(body, "http") {
			t.Errorf("security notice (%s) contains a link:\n%s", lang, body)
		}
	}
}
