package sandbox

import (
	"net/http"
	"net/url"
)

// handleAuthorize starts a flow: GET …/authorize with the OAuth parameters
// shows the bank's login page. A bad client_id or redirect_uri is shown on
// the page (never redirected to, RFC 6749 §4.1.2.1); other bad parameters
// are sent back to the redirect_uri as error=invalid_request.
func (s *Sandbox) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	b, err := s.findBank(ctx, r.PathValue("bank"))
	if err != nil {
		s.message(w, http.StatusNotFound, pageData{Title: "エラー", Header: "saifu sandbox"}, "この銀行は存在しません。", "No such bank.")
		return
	}
	q := r.URL.Query()
	clientID, redirectURI, state := q.Get("client_id"), q.Get("redirect_uri"), q.Get("state")
	ru, err := url.Parse(redirectURI)
	if !clientIDRE.MatchString(clientID) || err != nil || (ru.Scheme != "http" && ru.Scheme != "https") ||
		ru.Host == "" || ru.Fragment != "" || len(redirectURI) > redirectBytesMax {
		s.message(w, http.StatusBadRequest, bankPage(b, "エラー"),
			"連携元のサービスの指定（client_id / redirect_uri）が正しくありません。",
			"The requesting service's client_id or redirect_uri is invalid.")
		return
	}
	refuse := func(desc string) {
		v := url.Values{"error": {"invalid_request"}, "error_description": {desc}}
		if state != "" && len(state) <= stateBytesMax {
			v.Set("state", state)
		}
		http.Redirect(w, r, withQuery(redirectURI, v), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code":
		refuse("response_type must be code")
		return
	case state == "" || len(state) > stateBytesMax:
		refuse("state is required (1-255 bytes)")
		return
	case q.Get("code_challenge_method") != "S256":
		refuse("code_challenge_method must be S256 (plain is not supported)")
		return
	case !challengeRE.MatchString(q.Get("code_challenge")):
		refuse("code_challenge must be a base64url SHA-256 digest")
		return
	}
	flowID := randToken("", 32)
	now := s.clock()
	_, err = s.db.Exec(ctx, `INSERT INTO sandbox_bank_flows
		(id_hash, bank_code, client_id, redirect_uri, state, code_challenge, stage, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		hashSecret(flowID), b.code, clientID, redirectURI, state, q.Get("code_challenge"), stageLogin,
		ms(now.Add(flowTTL)), ms(now))
	if err != nil {
		s.log.Error("sandbox: create flow", "err", err)
		s.message(w, http.StatusInternalServerError, bankPage(b, "エラー"), "ただいま混み合っています。", "Internal error; try again.")
		return
	}
	d := bankPage(b, "ログイン")
	d.Action, d.Flow, d.RedirectHost = "/sandbox/bank/"+b.code+"/login", flowID, ru.Host
	s.render(w, http.StatusOK, "bank_login.html", d)
}
