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

	// --- money pages (page_banks.go, page_cards.go, page_topup.go,
	// page_withdraw.go, page_send.go) ---
	mux.Handle("GET /banks", s.user(s.banks))
	mux.Handle("POST /banks", s.user(s.bankLink))
	mux.Handle("GET /banks/callback", s.page(s.bankCallback))
	mux.Handle("POST /banks/{id}/remove", s.user(s.bankRemove))
	mux.Handle("POST /cards/new", s.user(s.cardNew))
	mux.Handle("GET /cards/entered", s.user(s.cardEntered))
	mux.Handle("GET /cards/return", s.user(s.threeDSReturn))
	mux.Handle("POST /cards/{id}/remove", s.user(s.cardRemove))
	mux.Handle("GET /topup", s.user(s.topupForm))
	mux.Handle("POST /topup", s.user(s.topup))
	mux.Handle("GET /topups/{id}", s.user(s.topupShow))
	mux.Handle("GET /withdraw", s.user(s.withdrawForm))
	mux.Handle("POST /withdraw", s.user(s.withdraw))
	mux.Handle("GET /withdrawals/{id}", s.user(s.withdrawalShow))
	mux.Handle("POST /withdrawals/{id}/cancel", s.user(s.withdrawalCancel))
	mux.Handle("GET /send", s.user(s.sendForm))
	mux.Handle("POST /send/edit", s.user(s.sendForm))
	mux.Handle("POST /send/confirm", s.user(s.sendConfirm))
	mux.Handle("POST /send", s.user(s.send))
	mux.Handle("GET /transfers/{id}", s.user(s.transferShow))

	mux.Handle("/", s.page(s.notFound))
}
