package web

import "net/http"

// addConsoleRoutes lists the operator console's surface (console.go):
// the login, the bootstrap of the first admin and an invitation's
// acceptance answer anyone (their credentials are in the form); every
// other page needs an operator session (s.operator), and the operator
// service checks the role and audits the call.
func (s *server) addConsoleRoutes(mux *http.ServeMux) {
	if s.d.Ops == nil {
		return
	}
	mux.Handle("GET /ops", http.RedirectHandler("/ops/", http.StatusSeeOther))
	mux.Handle("GET /ops/login", s.page(s.consoleLoginForm))
	mux.Handle("POST /ops/login", s.page(s.consoleLogin))
	mux.Handle("GET /ops/bootstrap", s.page(s.consoleBootstrapForm))
	mux.Handle("POST /ops/bootstrap", s.page(s.consoleBootstrap))
	mux.Handle("GET /ops/invite", s.page(s.consoleInviteForm))
	mux.Handle("POST /ops/invite", s.page(s.consoleAcceptInvite))
	mux.Handle("POST /ops/lang", s.page(s.setLang))

	mux.Handle("POST /ops/logout", s.operator(s.consoleLogout))
	mux.Handle("GET /ops/{$}", s.operator(s.consoleDashboard))
	mux.Handle("POST /ops/switches/{capability}", s.operator(s.consoleSetSwitch))
	mux.Handle("GET /ops/users", s.operator(s.consoleUsers))
	mux.Handle("GET /ops/users/{id}", s.operator(s.consoleUser))
	mux.Handle("POST /ops/users/{id}/freeze", s.operator(s.consoleFreeze))
	mux.Handle("POST /ops/users/{id}/unfreeze", s.operator(s.consoleUnfreeze))
	mux.Handle("GET /ops/approvals", s.operator(s.consoleApprovals))
	mux.Handle("POST /ops/approvals/{id}/approve", s.operator(s.consoleDecideApproval(true)))
	mux.Handle("POST /ops/approvals/{id}/reject", s.operator(s.consoleDecideApproval(false)))
	mux.Handle("GET /ops/rules", s.operator(s.consoleRules))
	mux.Handle("POST /ops/rules", s.operator(s.consoleDraftRule))
	mux.Handle("GET /ops/rules/{id}/{version}/backtest", s.operator(s.consoleBacktest))
	mux.Handle("POST /ops/rules/{id}/{version}/publish", s.operator(s.consolePublishRule))
	mux.Handle("GET /ops/cases", s.operator(s.consoleCases))
	mux.Handle("POST /ops/cases", s.operator(s.consoleOpenCase))
	mux.Handle("GET /ops/cases/{id}", s.operator(s.consoleCase))
	mux.Handle("POST /ops/cases/{id}/notes", s.operator(s.consoleCaseNote))
	mux.Handle("POST /ops/cases/{id}/status", s.operator(s.consoleCaseStatus))
	mux.Handle("GET /ops/search", s.operator(s.consoleSearch))
	mux.Handle("POST /ops/search/compensation", s.operator(s.consoleSearchCompensation))
	mux.Handle("GET /ops/compensations/{id}", s.operator(s.consoleCompensation))
	mux.Handle("GET /ops/operators", s.operator(s.consoleOperators))
	mux.Handle("POST /ops/operators", s.operator(s.consoleInvite))
	mux.Handle("POST /ops/operators/{id}/roles", s.operator(s.consoleRoleChange))
	mux.Handle("GET /ops/audit", s.operator(s.consoleAudit))
	mux.Handle("GET /ops/audit/verify", s.operator(s.consoleAuditVerify))
	mux.Handle("GET /ops/reviews", s.operator(s.consoleReviews))
	mux.Handle("POST /ops/reviews/{id}/approve", s.operator(s.consoleDecideReview(true)))
	mux.Handle("POST /ops/reviews/{id}/reject", s.operator(s.consoleDecideReview(false)))
}
