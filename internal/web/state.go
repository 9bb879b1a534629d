package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/clientip"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ops"
)

// The cookies of the pages. All are __Host-: Secure, Path=/, no Domain,
// so that no other host (a sibling subdomain) can set or read them.
const (
	cookieSession = "__Host-saifu_session" // the identity session token
	cookiePre     = "__Host-saifu_pre"     // the pre-login CSRF binding
	cookieMFA     = "__Host-saifu_mfa"     // the login's second-step token
	cookieSignup  = "__Host-saifu_signup"  // the address being verified
	cookieLang    = "__Host-saifu_lang"    // "ja" or "en"
	cookieDevice  = "__Host-saifu_device"  // recognises a returning device
	cookieCard    = "__Host-saifu_card"    // the card-entry trip's state
)

const (
	// mfaCookieAge: identity's second-step token lives 5 minutes.
	mfaCookieAge = 5 * time.Minute
	// signupCookieAge: a mailed code is typed within the hour.
	signupCookieAge = time.Hour
	// cardCookieAge: a card is typed at the acquirer within minutes.
	cardCookieAge = 15 * time.Minute
	// longCookieAge: browsers cap cookie lifetimes at 400 days.
	longCookieAge = 400 * 24 * time.Hour
)

type ctxKey struct{}

// state is what the pages know of the browser behind a request.
type state struct {
	lang     *lang
	client   identity.Client
	sess     identity.Session
	token    string // the session token; "" when signed out
	pre      string // the pre-login binding; "" when signed in
	signedIn bool
	// console: the request is the operator console's (console.go):
	// signedIn, token and pre are then the operator's, op its session.
	console bool
	op      ops.Session
}

// binding is what the browser's CSRF token is an HMAC of.
// The console's bindings have prefixes of their own, so that no token of
// one area is ever a token of the other.
func (st *state) binding() string {
	signed, pre := "s:", "p:"
	if st.console {
		signed, pre = "o:", "q:"
	}
	if st.signedIn {
		return signed + st.token
	}
	if st.pre != "" {
		return pre + st.pre
	}
	return ""
}

func stateOf(r *http.Request) *state {
	if st, ok := r.Context().Value(ctxKey{}).(*state); ok {
		return st
	}
	return &state{lang: langs["ja"]}
}

// withState reads the cookies once per request: the language, the
// session (a dead one is cleared; under /ops/ the operator's session
// only, readOperator), and, when signed out, the pre-login
// binding (made on first sight, so that every form can carry a token).
func (s *server) withState(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &state{lang: langs["ja"]}
		if c, err := r.Cookie(cookieLang); err == nil && langs[c.Value] != nil {
			st.lang = langs[c.Value]
		}
		if isStatic(r) { // the stylesheet and script need no session
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, st)))
			return
		}
		st.client = identity.Client{IP: clientip.Resolve(r, s.d.TrustedProxies), UserAgent: r.UserAgent(), Lang: st.lang.code}
		if isConsole(r) { // the operator's session, never the wallet's
			s.readOperator(w, r, st)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, st)))
			return
		}
		if c, err := r.Cookie(cookieDevice); err == nil && len(c.Value) >= 16 && len(c.Value) <= 64 {
			st.client.DeviceID = c.Value
		}
		if c, err := r.Cookie(cookieSession); err == nil && c.Value != "" {
			if sess, err := s.d.Identity.Authenticate(r.Context(), c.Value); err == nil {
				st.sess, st.token, st.signedIn = sess, c.Value, true
			} else {
				clearCookie(w, cookieSession)
			}
		}
		if !st.signedIn {
			if c, err := r.Cookie(cookiePre); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
				st.pre = c.Value
			} else {
				st.pre = randomToken()
				setCookie(w, cookiePre, st.pre, 0)
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, st)))
	})
}

func isStatic(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/static/") }

// ensureDevice gives the browser a device cookie before a login, so that
// identity recognises it next time.
func ensureDevice(w http.ResponseWriter, st *state) {
	if st.client.DeviceID != "" {
		return
	}
	st.client.DeviceID = identity.NewDeviceID()
	setCookie(w, cookieDevice, st.client.DeviceID, longCookieAge)
}

// signIn sets the new session's cookie and drops the pre-login binding
// and the login's step cookies: from here the CSRF token is bound to the
// new session token.
func signIn(w http.ResponseWriter, token string) {
	setCookie(w, cookieSession, token, 0)
	clearCookie(w, cookiePre)
	clearCookie(w, cookieMFA)
	clearCookie(w, cookieSignup)
}

// setCookie sets a __Host- cookie; age 0 makes a session cookie.
func setCookie(w http.ResponseWriter, name, value string, age time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(age / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	})
}

func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	})
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
