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
	}

	// --- wallet routes ---

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
