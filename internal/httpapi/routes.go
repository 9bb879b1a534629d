package httpapi

import "net/http"

// addRoutes lists saifu's whole HTTP surface (../shared/design/API.md).
// Each section registers only when its service is configured in Deps.
func addRoutes(mux *http.ServeMux, d Deps) {
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", handleReadyz(d.Ready))

	// --- identity routes ---
	if d.Identity != nil {
		id := d.Identity
		mux.Handle("POST /api/v1/signup", handleSignup(id))
		mux.Handle("POST /api/v1/signup/verify", handleSignupVerify(id))
		mux.Handle("POST /api/v1/login", handleLogin(id))
		mux.Handle("POST /api/v1/login/mfa", handleLoginMFA(id))
		mux.Handle("POST /api/v1/logout", withUser(id, handleLogout(id)))
		mux.Handle("GET /api/v1/me", withUser(id, handleMe(id)))
		mux.Handle("POST /api/v1/reauth", withUser(id, handleReauth(id)))
		mux.Handle("GET /api/v1/sessions", withUser(id, handleSessions(id)))
		mux.Handle("DELETE /api/v1/sessions/{id}", withUser(id, handleSessionDelete(id)))
		mux.Handle("POST /api/v1/password/forgot", handleForgot(id))
		mux.Handle("POST /api/v1/password/reset", handleReset(id))
		mux.Handle("POST /api/v1/password/change", withUser(id, handlePasswordChange(id)))
		mux.Handle("POST /api/v1/mfa/totp", withUser(id, handleTOTPBegin(id)))
		mux.Handle("POST /api/v1/mfa/totp/verify", withUser(id, handleTOTPVerify(id)))
		mux.Handle("DELETE /api/v1/mfa/totp", withUser(id, handleTOTPDelete(id)))
		mux.Handle("POST /api/v1/mfa/recovery-codes", withUser(id, handleRecoveryCodes(id)))
		mux.Handle("POST /api/v1/email/change", withUser(id, handleEmailChange(id)))
		mux.Handle("POST /api/v1/email/change/verify", withUser(id, handleEmailChangeVerify(id)))
		mux.Handle("POST /api/v1/email/change/cancel", handleEmailChangeCancel(id))
		mux.Handle("POST /api/v1/passkeys/begin", withUser(id, handlePasskeyBegin(id)))
		mux.Handle("POST /api/v1/passkeys/finish", withUser(id, handlePasskeyFinish(id)))
		mux.Handle("GET /api/v1/passkeys", withUser(id, handlePasskeys(id)))
		mux.Handle("DELETE /api/v1/passkeys/{id}", withUser(id, handlePasskeyDelete(id)))
		mux.Handle("POST /api/v1/login/passkey/begin", handlePasskeyLoginBegin(id))
		mux.Handle("POST /api/v1/login/passkey/finish", handlePasskeyLoginFinish(id))
	}

	// --- wallet routes ---
	if d.Funding != nil && d.Identity != nil {
		fs, id := d.Funding, d.Identity
		mux.Handle("POST /api/v1/cards", withUser(id, handleAddCard(fs, id)))
		mux.Handle("GET /api/v1/cards", withUser(id, handleCards(fs)))
		mux.Handle("GET /api/v1/cards/{id}", withUser(id, handleCard(fs)))
		mux.Handle("DELETE /api/v1/cards/{id}", withUser(id, handleRemoveCard(fs)))
		mux.Handle("GET /api/v1/3ds/return", handle3DSReturn(fs))
		mux.Handle("POST /api/v1/topups", withUser(id, handleTopup(fs, id)))
		mux.Handle("GET /api/v1/topups/{id}", withUser(id, handleGetTopup(fs)))
		mux.Handle("POST /api/v1/bank-links", withUser(id, handleStartBankLink(fs, id)))
		mux.Handle("GET /api/v1/bank-links", withUser(id, handleBankLinks(fs)))
		mux.Handle("GET /api/v1/bank-links/callback", handleBankLinkCallback(fs))
		mux.Handle("GET /api/v1/bank-links/{id}", withUser(id, handleBankLink(fs)))
		mux.Handle("DELETE /api/v1/bank-links/{id}", withUser(id, handleRemoveBankLink(fs)))
		mux.Handle("POST /api/v1/withdrawals", withUser(id, handleWithdraw(fs, id)))
		mux.Handle("GET /api/v1/withdrawals/{id}", withUser(id, handleGetWithdrawal(fs)))
		mux.Handle("DELETE /api/v1/withdrawals/{id}", withUser(id, handleCancelWithdrawal(fs)))
		mux.Handle("POST /api/v1/withdrawals/{id}/cancel", withUser(id, handleCancelWithdrawal(fs)))
	}

	// --- merchant routes ---
	if d.Merchants != nil {
		withMerchant := requireMerchant(d.Merchants)
		mux.Handle("GET /api/v1/merchant/qr", withMerchant(handleMerchantQR()))
	}

	// --- sandbox routes (demo mode only) ---
	if d.Sandbox != nil {
		mux.Handle("/sandbox/", d.Sandbox)
	}
	if d.Mailbox != nil {
		mux.Handle("GET /sandbox/api/messages", handleSandboxMessages(d.Mailbox))
	}

	mux.Handle("/", handleNotFound())
}
