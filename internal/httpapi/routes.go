package httpapi

import "net/http"

// addRoutes lists saifu's whole HTTP surface (docs/api.md, docs/openapi.yaml).
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
		mux.Handle("POST /api/v1/login/mfa/passkey/begin", handleLoginMFAPasskeyBegin(id))
		mux.Handle("POST /api/v1/logout", withUser(id, handleLogout(id)))
		mux.Handle("GET /api/v1/me", withUser(id, handleMe(id)))
		mux.Handle("PUT /api/v1/me/anti-phishing-phrase", withUser(id, handleAntiPhishing(id)))
		mux.Handle("POST /api/v1/reauth", withUser(id, handleReauth(id)))
		mux.Handle("GET /api/v1/sessions", withUser(id, handleSessions(id)))
		mux.Handle("DELETE /api/v1/sessions/{id}", withUser(id, handleSessionDelete(id)))
		mux.Handle("POST /api/v1/password/forgot", handleForgot(id))
		mux.Handle("POST /api/v1/password/reset", handleReset(id))
		mux.Handle("POST /api/v1/password/reset/passkey/begin", handleResetPasskeyBegin(id))
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
		mux.Handle("POST /api/v1/reauth/passkey/begin", withUser(id, handleReauthPasskeyBegin(id)))
	}

	// --- wallet routes ---
	if d.Wallet != nil && d.Identity != nil {
		ws, id, idem := d.Wallet, d.Identity, d.idem.middleware
		mux.Handle("GET /api/v1/wallet", withUser(id, handleWallet(ws)))
		mux.Handle("GET /api/v1/wallet/transactions", withUser(id, handleTransactions(ws)))
		mux.Handle("GET /api/v1/notifications", withUser(id, handleNotifications(ws)))
		mux.Handle("POST /api/v1/kyc", withUser(id, handleKYC(ws)))
		mux.Handle("POST /api/v1/payment-codes", withUser(id, idem(handlePaymentCode(ws), nil)))
		mux.Handle("POST /api/v1/payments", withUser(id, idem(handlePay(ws), recoverPayment(ws))))
		mux.Handle("GET /api/v1/payments/{id}", withUser(id, handlePaymentGet(ws)))
		mux.Handle("POST /api/v1/transfers", withUser(id, idem(handleTransfer(ws), recoverTransfer(ws))))
		mux.Handle("GET /api/v1/transfers/{id}", withUser(id, handleTransferGet(ws)))
	}
	if d.Funding != nil && d.Identity != nil {
		fs, id, idem := d.Funding, d.Identity, d.idem.middleware
		mux.Handle("POST /api/v1/cards", withUser(id, idem(handleAddCard(fs), recoverCard(fs))))
		mux.Handle("GET /api/v1/cards", withUser(id, handleCards(fs)))
		mux.Handle("GET /api/v1/cards/{id}", withUser(id, handleCard(fs)))
		mux.Handle("DELETE /api/v1/cards/{id}", withUser(id, handleRemoveCard(fs)))
		mux.Handle("GET /api/v1/3ds/return", handle3DSReturn(fs))
		mux.Handle("POST /api/v1/topups", withUser(id, idem(handleTopup(fs), recoverTopup(fs))))
		mux.Handle("GET /api/v1/topups/{id}", withUser(id, handleGetTopup(fs)))
		mux.Handle("POST /api/v1/bank-links", withUser(id, idem(handleStartBankLink(fs), nil)))
		mux.Handle("GET /api/v1/bank-links", withUser(id, handleBankLinks(fs)))
		mux.Handle("GET /api/v1/bank-links/callback", handleBankLinkCallback(fs))
		mux.Handle("GET /api/v1/bank-links/{id}", withUser(id, handleBankLink(fs)))
		mux.Handle("DELETE /api/v1/bank-links/{id}", withUser(id, handleRemoveBankLink(fs)))
		mux.Handle("POST /api/v1/withdrawals", withUser(id, idem(handleWithdraw(fs), recoverWithdrawal(fs))))
		mux.Handle("GET /api/v1/withdrawals/{id}", withUser(id, handleGetWithdrawal(fs)))
		mux.Handle("DELETE /api/v1/withdrawals/{id}", withUser(id, handleCancelWithdrawal(fs)))
		mux.Handle("POST /api/v1/withdrawals/{id}/cancel", withUser(id, handleCancelWithdrawal(fs)))
	}

	// --- merchant routes ---
	if d.Wallet != nil && d.Merchants != nil {
		ws, withM, idem := d.Wallet, requireMerchant(d.Merchants), d.idem.middleware
		mux.Handle("POST /api/v1/merchant/charges", withM(idem(handleCharge(ws), recoverCharge(ws))))
		mux.Handle("GET /api/v1/merchant/charges/{id}", withM(handleChargeGet(ws)))
		mux.Handle("POST /api/v1/merchant/charges/{id}/refunds", withM(idem(handleRefund(ws), recoverRefund(ws))))
		mux.Handle("GET /api/v1/merchant/charges", withM(handleChargeList(ws)))
		mux.Handle("GET /api/v1/merchant/balance", withM(handleMerchantBalance(ws)))
	}
	if d.Merchants != nil {
		withMerchant, idem := requireMerchant(d.Merchants), d.idem.middleware
		mux.Handle("GET /api/v1/merchant/qr", withMerchant(handleMerchantQR()))
		// The answer holds the new secret and cannot be rebuilt: a retry
		// after a crash makes another one (no recoverFunc).
		mux.Handle("PUT /api/v1/merchant/webhook", withMerchant(idem(handleMerchantWebhook(d.Merchants), nil)))
	}

	addOpsRoutes(mux, d) // --- operator routes (ops_routes.go) ---

	// --- sandbox routes (demo mode only) ---
	if d.Sandbox != nil {
		mux.Handle("/sandbox/", d.Sandbox)
	}
	if d.Mailbox != nil {
		mux.Handle("GET /sandbox/api/messages", handleSandboxMessages(d.Mailbox))
	}

	mux.Handle("/", handleNotFound())
}
