package web

import (
	"fmt"
	"net/http"
	"net/url"
)

// leaveTo sends the browser on to a counterpart's page (the bank's
// consent screen, the acquirer's card entry, the issuer's challenge).
// On saifu's own origin (the demo sandbox) it is a redirect. Elsewhere it
// is a page with a link: the pages' CSP says form-action 'self', which
// browsers apply to a form's redirects too, so a form cannot be
// redirected off this origin; following a link is the person's own step
// (and the page says where it goes).
func (s *server) leaveTo(w http.ResponseWriter, r *http.Request, target string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("web: counterpart URL %q is not absolute", target)
	}
	if own, err := url.Parse(s.d.PublicURL); err == nil && own.Scheme == u.Scheme && own.Host == u.Host {
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, "leave", "leave.title", struct{ URL, Host string }{target, u.Host}, "")
	return nil
}
