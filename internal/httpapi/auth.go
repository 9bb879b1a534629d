package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/identity"
)

const (
	// deviceCookie names the cookie that recognises a returning device.
	deviceCookie = "saifu_device"
	// deviceCookieMaxAge: browsers cap cookie lifetimes at 400 days.
	deviceCookieMaxAge = 400 * 24 * time.Hour
)

// requireUser authenticates "Authorization: Bearer <session token>" and
// puts the Session in the request context (sessionFrom); without a live
// session it answers 401 unauthenticated.
func requireUser(id *identity.Service) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			sess, err := id.Authenticate(r.Context(), bearerToken(r))
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="saifu"`)
				return err
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keySession, sess)))
			return nil
		})
	}
}

// sessionFrom returns the session requireUser authenticated.
func sessionFrom(r *http.Request) identity.Session {
	s, _ := r.Context().Value(keySession).(identity.Session)
	return s
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// clientFrom describes the caller to the identity service.
func clientFrom(r *http.Request) identity.Client {
	c := identity.Client{IP: clientIP(r), UserAgent: r.UserAgent(), Lang: "ja"}
	if ck, err := r.Cookie(deviceCookie); err == nil {
		c.DeviceID = ck.Value
	}
	if al := strings.ToLower(r.Header.Get("Accept-Language")); strings.HasPrefix(al, "en") {
		c.Lang = "en"
	}
	return c
}

// withDevice makes sure the caller has a device cookie: the one presented,
// or a new one set on the response.
func withDevice(w http.ResponseWriter, r *http.Request, c identity.Client) identity.Client {
	if len(c.DeviceID) >= 16 && len(c.DeviceID) <= 64 {
		return c
	}
	c.DeviceID = identity.NewDeviceID()
	http.SetCookie(w, &http.Cookie{
		Name: deviceCookie, Value: c.DeviceID, Path: "/",
		MaxAge: int(deviceCookieMaxAge / time.Second), HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
	return c
}

// withUser wraps h in requireUser.
func withUser(id *identity.Service, h http.Handler) http.Handler { return requireUser(id)(h) }
