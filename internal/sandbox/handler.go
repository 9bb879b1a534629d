package sandbox

import "net/http"

// Handler serves every counterpart under /sandbox/ (not /sandbox/api/messages,
// which the notify mailbox serves).
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sandbox/{$}", s.handleIndex)

	mux.HandleFunc("GET /sandbox/bank/{bank}/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /sandbox/bank/{bank}/login", s.handleLogin)
	mux.HandleFunc("POST /sandbox/bank/{bank}/otp", s.handleOTP)
	mux.HandleFunc("POST /sandbox/bank/{bank}/consent", s.handleConsent)
	mux.HandleFunc("POST /sandbox/bank/{bank}/token", s.handleToken)
	mux.HandleFunc("POST /sandbox/bank/{bank}/revoke", s.handleRevoke)
	mux.HandleFunc("GET /sandbox/bank/{bank}/holder", s.handleHolder)
	mux.HandleFunc("POST /sandbox/bank/{bank}/debit", s.handleMove(kindDebit))
	mux.HandleFunc("POST /sandbox/bank/{bank}/credit", s.handleMove(kindCredit))

	mux.HandleFunc("POST /sandbox/card/tokens", s.handleTokenize)
	mux.HandleFunc("GET /sandbox/card/entry", s.handleCardEntry)
	mux.HandleFunc("POST /sandbox/card/entry", s.handleCardEntrySubmit)
	mux.HandleFunc("POST /sandbox/card/lookup", s.handleCardLookup)
	mux.HandleFunc("POST /sandbox/card/verifications", s.handleVerify3DS)
	mux.HandleFunc("POST /sandbox/card/authorizations", s.handleAuthorizeCard)
	mux.HandleFunc("GET /sandbox/card/authorizations/{id}", s.handleGetAuth)
	mux.HandleFunc("POST /sandbox/card/authorizations/{id}/capture", s.handleCardTxn(kindCapture))
	mux.HandleFunc("POST /sandbox/card/authorizations/{id}/refund", s.handleCardTxn(kindRefund))
	mux.HandleFunc("POST /sandbox/card/authorizations/{id}/void", s.handleVoidAuth)
	mux.HandleFunc("GET /sandbox/card/challenge/{id}", s.handleChallengePage)
	mux.HandleFunc("POST /sandbox/card/challenge/{id}", s.handleChallengeSubmit)

	mux.HandleFunc("POST /sandbox/kyc/verify", s.handleKYC)

	mux.HandleFunc("/sandbox/", func(w http.ResponseWriter, r *http.Request) {
		s.writeErr(w, r, fail(http.StatusNotFound, "not_found", "no such sandbox route"))
	})
	return mux
}
