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
	// Email change (page_email.go): the previous address's undo.
	mux.Handle("GET /email/cancel", s.page(s.emailCancelForm))
	mux.Handle("POST /email/cancel", s.page(s.emailCancel))
	// Passkeys (page_passkeys.go).
	mux.Handle("POST /login/passkey/begin", s.page(s.loginPasskeyBegin))
	mux.Handle("POST /login/passkey", s.page(s.loginPasskey))
	mux.Handle("POST /login/mfa/passkey/begin", s.page(s.loginMFAPasskeyBegin))
	mux.Handle("POST /login/mfa/passkey", s.page(s.loginMFAPasskey))

	mux.Handle("POST /logout", s.user(s.logout))
	mux.Handle("GET /{$}", s.user(s.home))
	mux.Handle("GET /pay", s.user(s.payStart))
	mux.Handle("POST /pay/code", s.user(s.payCode))
	// Paying a merchant-presented code (page_pay_merchant.go).
	mux.Handle("GET "+scanPath, s.user(s.scanForm))
	mux.Handle("POST "+scanPath, s.user(s.mpmRead))
	mux.Handle("POST "+photoPath, s.user(s.mpmPhoto))
	mux.Handle("POST /pay/merchant/pay", s.user(s.mpmPay))
	mux.Handle("GET /payments/{id}", s.user(s.receipt))
	mux.Handle("GET /history", s.user(s.history))
	mux.Handle("GET /notices", s.user(s.notices))
	mux.Handle("GET /security", s.user(s.security))
	mux.Handle("POST /security/totp", s.user(s.totpBegin))
	mux.Handle("POST /security/totp/confirm", s.user(s.totpConfirm))
	mux.Handle("POST /security/sessions/{id}/revoke", s.user(s.revokeSession))
	mux.Handle("POST /security/password", s.user(s.changePassword))
	mux.Handle("POST /security/phrase", s.user(s.antiPhishing))
	mux.Handle("POST /reauth", s.user(s.reauth))
	// Email change (page_email.go).
	mux.Handle("POST /security/email", s.user(s.emailChange))
	mux.Handle("POST /security/email/verify", s.user(s.emailVerify))
	// Passkeys (page_passkeys.go).
	mux.Handle("POST /reauth/passkey/begin", s.user(s.reauthPasskeyBegin))
	mux.Handle("POST /reauth/passkey", s.user(s.reauthPasskey))
	mux.Handle("POST /security/passkeys/begin", s.user(s.passkeyBegin))
	mux.Handle("POST /security/passkeys/finish", s.user(s.passkeyFinish))
	mux.Handle("POST /security/passkeys/{id}/name", s.user(s.passkeyRename))
	mux.Handle("POST /security/passkeys/{id}/delete", s.user(s.passkeyDelete))
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

	// --- the operator console (routes_console.go) ---
	s.addConsoleRoutes(mux)

	mux.Handle("/", s.page(s.notFound))
}
