package httpapi

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/funding"
)

// The bank-link callback is where the bank sends the person's browser
// back: a browser gets a small page saying what happened, in Japanese and
// English, with no links (a page reached from a redirect must not teach
// anyone to log in from a link) and no script; any other client gets
// JSON. The status is the same either way.

var bankLinkPage = template.Must(template.New("bank_link").Parse(`<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.TitleJA}} / {{.TitleEN}} — saifu</title>
</head>
<body>
<main>
<h1>{{.TitleJA}}</h1>
<p>{{.MessageJA}}</p>
<p>このページを閉じて、saifu アプリに戻ってください。</p>
<hr>
<h2 lang="en">{{.TitleEN}}</h2>
<p lang="en">{{.MessageEN}}</p>
<p lang="en">You can close this page and return to the saifu app.</p>
{{if .RequestID}}<p><small>request id: {{.RequestID}}</small></p>{{end}}
</main>
</body>
</html>
`))

type bankLinkPageData struct {
	TitleJA, TitleEN     string
	MessageJA, MessageEN string
	RequestID            string
}

// wantsHTML reports whether the client asked for a page (a browser's
// Accept lists text/html).
func wantsHTML(r *http.Request) bool { return accepts(r, "text/html", "application/xhtml+xml") }

// writeBankLinkPage answers the browser with status and the page.
func writeBankLinkPage(w http.ResponseWriter, r *http.Request, status int, d bankLinkPageData) {
	var buf bytes.Buffer
	if err := bankLinkPage.Execute(&buf, d); err != nil {
		loggerFrom(r).Error("render bank link page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// The URL carries the code and state: no referrer, no framing, nothing
	// loaded, nothing run.
	h.Set("Content-Security-Policy", "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func bankLinkLinkedPage(l funding.BankLink) bankLinkPageData {
	at := l.UsableForWithdrawalAt.Format("2006-01-02 15:04 MST")
	return bankLinkPageData{
		TitleJA: "銀行口座を連携しました", TitleEN: "Bank account linked",
		MessageJA: "口座（末尾 " + l.AccountLast4 + "）を連携しました。チャージにはすぐ使えます。出金先として使えるのは " + at + " 以降です。",
		MessageEN: "The account ending " + l.AccountLast4 + " is linked. You can top up from it now, and withdraw to it from " + at + ".",
	}
}

func bankLinkFailedPage(r *http.Request, e *apperr.Error) bankLinkPageData {
	d := bankLinkPageData{TitleJA: "銀行口座は連携されませんでした", TitleEN: "The bank account was not linked",
		MessageJA: e.MessageJA, MessageEN: e.Message}
	if d.MessageJA == "" {
		d.MessageJA = e.Message
	}
	if e.Code == apperr.Internal || e.Code == apperr.Unavailable {
		d.RequestID = requestIDFrom(r)
	}
	return d
}
