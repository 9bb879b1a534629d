package web

import "net/http"

// addRoutes lists the whole browser surface.
func (s *server) addRoutes(mux *http.ServeMux) {
	mux.Handle("GET /static/", staticFiles())

	mux.Handle("GET /signup", s.page(s.signupForm))
	mux.Handle("POST /signup", s.page(s.signup))
	mux.Handle("GET /signup/verify", s.page(s.verifyForm))
	mux.Handle("POST /signup/verify", s.page(s.verify))
	mux.Handle("GET /login", s.page(s.loginForm))
	mux.Handle("POST /login", s.page(s.login))
	mux.Handle("GET /login/mfa", s.page(s.mfaForm))
	mux.Handle("POST /login/mfa", s.page(s.loginMFA))
	mux.Handle("GET /password/forgot", s.page(s.forgotForm))
	mux.Handle("POST /password/forgot", s.page(s.forgot))
	mux.Handle("GET /password/reset", s.page(s.resetForm))
	mux.Handle("POST /password/reset", s.page(s.reset))
	mux.Handle("POST /lang", s.page(s.setLang))

	mux.Handle("POST /logout", s.user(s.logout))
	mux.Handle("GET /{$}", s.user(s.home))
	mux.Handle("GET /pay", s.user(s.payStart))
	mux.Handle("POST /pay/code", s.user(s.payCode))
	mux.Handle("GET /history", s.user(s.history))
	mux.Handle("GET /notices", s.user(s.notices))
	mux.Handle("GET /security", s.user(s.security))
	mux.Handle("POST /security/totp", s.user(s.totpBegin))
	mux.Handle("POST /security/totp/confirm", s.user(s.totpConfirm))
	mux.Handle("POST /security/sessions/{id}/revoke", s.user(s.revokeSession))
	mux.Handle("POST /security/password", s.user(s.changePassword))
	mux.Handle("POST /security/phrase", s.user(s.antiPhishing))
	mux.Handle("POST /reauth", s.user(s.reauth))
	mux.Handle("GET /kyc", s.user(s.kycForm))
	mux.Handle("POST /kyc", s.user(s.kyc))

	// --- the operator console (routes_console.go) ---
	s.addConsoleRoutes(mux)

	mux.Handle("/", s.page(s.notFound))
}
