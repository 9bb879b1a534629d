package notify

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/saifu-pay/saifu/internal/usertext"
)

//go:embed templates/*.txt
var templatesFS embed.FS

// The languages of the templates. A template missing in the requested
// language falls back to Japanese, saifu's first language, then English.
const (
	LangJA = "ja"
	LangEN = "en"
)

// Bounds on what Render puts into a mail.
const (
	// phraseRunesMax bounds the anti-phishing phrase shown in a mail.
	phraseRunesMax = 64
	// valueRunesMax bounds any one string value of a template's data (the
	// longest saifu itself writes is a reset token of under 64).
	valueRunesMax = 256
	// userRunesMax bounds one user-written value ({{user …}}): a P2P
	// message is at most 200 characters.
	userRunesMax = 200
	// subjectRunesMax keeps a subject of three-byte characters within
	// Message's subjectBytesMax.
	subjectRunesMax = 120
	// detailLinesMax bounds the lines of a generic notice's Details.
	detailLinesMax = 20
)

// subjectPrefixes start every subject, one form per language: Japanese
// mail marks the sender with lenticular brackets, English with square
// ones. Templates write their subjects without it.
var subjectPrefixes = map[string]string{
	LangJA: "【saifu】",
	LangEN: "[saifu] ",
}

// footers end every mail: saifu's promise that lets a user tell a forged
// mail from a genuine one. They contain no link.
var footers = map[string]string{
	LangJA: "saifu がメールやSMSでログイン用のリンクや添付ファイルを送ることはありません。\nリンクからのログインやファイルの開封を求めるメールは偽物です。",
	LangEN: "saifu never sends login links or attachments by mail or SMS.\nA message asking you to sign in through a link or to open a file is not from saifu.",
}

var phraseLines = map[string]string{
	LangJA: "あなたのフィッシング対策フレーズ: %s\n(このフレーズが無いメールは saifu からのものではありません)",
	LangEN: "Your anti-phishing phrase: %s\n(a mail without this phrase is not from saifu)",
}

type parsed struct {
	subject, body *template.Template
}

var (
	templatesOnce sync.Once
	templates     map[string]parsed // "name.lang" → templates
	templatesErr  error
)

// loadTemplates parses every templates/NAME.LANG.txt: a first line
// "Subject: …", a blank line, then the body, both text/template.
func loadTemplates() {
	templates = map[string]parsed{}
	entries, err := fs.ReadDir(templatesFS, "templates")
	if err != nil {
		templatesErr = fmt.Errorf("notify: read templates: %w", err)
		return
	}
	for _, e := range entries {
		key, ok := strings.CutSuffix(e.Name(), ".txt")
		if !ok {
			continue
		}
		src, err := templatesFS.ReadFile("templates/" + e.Name())
		if err != nil {
			templatesErr = fmt.Errorf("notify: read template %s: %w", e.Name(), err)
			return
		}
		p, err := parseTemplate(key, string(src))
		if err != nil {
			templatesErr = err
			return
		}
		templates[key] = p
	}
}

func parseTemplate(key, src string) (parsed, error) {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	first, rest, _ := strings.Cut(src, "\n")
	subject, ok := strings.CutPrefix(first, "Subject: ")
	blank, body, _ := strings.Cut(rest, "\n")
	if !ok || strings.TrimSpace(blank) != "" {
		return parsed{}, fmt.Errorf("notify: template %s must start with \"Subject: …\" and a blank line", key)
	}
	_, lang, _ := strings.Cut(key, ".")
	funcs := templateFuncs(lang)
	st, err := template.New(key + ".subject").Option("missingkey=error").Funcs(funcs).Parse(subject)
	if err != nil {
		return parsed{}, fmt.Errorf("notify: template %s subject: %w", key, err)
	}
	bt, err := template.New(key).Option("missingkey=error").Funcs(funcs).Parse(body)
	if err != nil {
		return parsed{}, fmt.Errorf("notify: template %s body: %w", key, err)
	}
	return parsed{subject: st, body: bt}, nil
}

// Render renders the template name in lang ("ja" or "en"; missing or
// unknown languages fall back to "ja", then "en") with data. The subject
// starts with the language's saifu prefix. The body starts with the
// anti-phishing phrase when data["AntiPhishing"] is a non-empty string
// (the first thing a reader sees, API.md: "near the top"), and ends with
// the fixed footer in the template's language. A key the template
// uses but data lacks is an error.
//
// No value reaches the mail as given: every string is made one safe line
// (usertext.Line: no control or bidi characters, no newlines, bounded),
// every []string a list of such lines with links defanged, and every
// time.Time is written in Japan time with its zone. Templates put text
// that a user or merchant wrote through {{user …}}, which also defangs
// links and quotes it, and code words (statuses, factors) through
// {{label …}}, which names them in the mail's language.
func Render(name, lang string, data map[string]any) (subject, body string, err error) {
	templatesOnce.Do(loadTemplates)
	if templatesErr != nil {
		return "", "", templatesErr
	}
	p, lang, ok := lookup(name, lang)
	if !ok {
		return "", "", fmt.Errorf("notify: no template %q", name)
	}
	data = prepare(lang, data)
	var sb, bb bytes.Buffer
	if err := p.subject.Execute(&sb, data); err != nil {
		return "", "", fmt.Errorf("notify: render %s.%s subject: %w", name, lang, err)
	}
	if err := p.body.Execute(&bb, data); err != nil {
		return "", "", fmt.Errorf("notify: render %s.%s: %w", name, lang, err)
	}
	subject = usertext.Line(subjectPrefixes[lang]+sb.String(), subjectRunesMax)
	var b strings.Builder
	if phrase, _ := data["AntiPhishing"].(string); usertext.Line(phrase, phraseRunesMax) != "" {
		fmt.Fprintf(&b, phraseLines[lang], usertext.Line(phrase, phraseRunesMax))
		b.WriteString("\n\n")
	}
	b.WriteString(strings.TrimRight(bb.String(), " \t\n"))
	b.WriteString("\n\n-- \n")
	b.WriteString(footers[lang])
	b.WriteString("\n")
	return subject, b.String(), nil
}

func lookup(name, lang string) (parsed, string, bool) {
	for _, l := range []string{lang, LangJA, LangEN} {
		if p, ok := templates[name+"."+l]; ok {
			return p, l, true
		}
	}
	return parsed{}, "", false
}

// prepare returns a copy of data with every value made safe to render in
// lang (see Render).
func prepare(lang string, data map[string]any) map[string]any {
	out := make(map[string]any, len(data))
	for k, v := range data {
		switch v := v.(type) {
		case string:
			out[k] = usertext.Line(v, valueRunesMax)
		case []string:
			lines := make([]string, 0, min(len(v), detailLinesMax))
			for _, l := range v[:min(len(v), detailLinesMax)] {
				lines = append(lines, usertext.Clean(brandMarks.Replace(l), valueRunesMax))
			}
			out[k] = lines
		case time.Time:
			out[k] = FormatTime(lang, v)
		default:
			out[k] = v
		}
	}
	return out
}
