package httpapi

import "net/http"

// addOpsRoutes lists the operator surface under /ops/api (API.md
// "Operators"): the bootstrap, login and invitation acceptance answer
// anyone (their credentials are in the body); every other route needs an operator session
// (withOp), and the operator service checks the role and audits the call.
// TestOpsAuthorizationMatrix has a row for every route listed here.
func addOpsRoutes(mux *http.ServeMux, d Deps) {
	if d.Ops == nil {
		return
	}
	o := d.Ops
	mux.Handle("POST /ops/api/bootstrap", handleOpsBootstrap(o))
	mux.Handle("POST /ops/api/login", handleOpsLogin(o))
	mux.Handle("POST /ops/api/logout", withOp(o, handleOpsLogout(o)))
	mux.Handle("GET /ops/api/operators", withOp(o, handleOpsOperators(o)))
	mux.Handle("POST /ops/api/operators", withOp(o, handleOpsInvite(o)))
	mux.Handle("PUT /ops/api/operators/{id}/roles", withOp(o, handleOpsRoles(o)))
	mux.Handle("POST /ops/api/invites/accept", handleOpsAcceptInvite(o))
	mux.Handle("GET /ops/api/switches", withOp(o, handleOpsSwitches(o)))
	mux.Handle("PUT /ops/api/switches/{capability}", withOp(o, handleOpsSwitchSet(o)))
	mux.Handle("GET /ops/api/audit", withOp(o, handleOpsAudit(o)))
	mux.Handle("GET /ops/api/users", withOp(o, handleOpsUserFind(o)))
	mux.Handle("GET /ops/api/users/{id}", withOp(o, handleOpsUser(o)))
	mux.Handle("POST /ops/api/users/{id}/freeze", withOp(o, handleOpsFreeze(o)))
	mux.Handle("POST /ops/api/users/{id}/unfreeze", withOp(o, handleOpsUnfreeze(o)))
	mux.Handle("POST /ops/api/users/{id}/hold/resolve", withOp(o, handleOpsHoldResolve(o)))
	mux.Handle("PUT /ops/api/users/{id}/limits", withOp(o, handleOpsUserLimits(o)))
	mux.Handle("GET /ops/api/rules", withOp(o, handleOpsRules(o)))
	mux.Handle("POST /ops/api/rules", withOp(o, handleOpsRuleDraft(o)))
	mux.Handle("POST /ops/api/rules/{id}/backtest", withOp(o, handleOpsRuleBacktest(o)))
	mux.Handle("POST /ops/api/rules/{id}/publish", withOp(o, handleOpsRulePublish(o)))
	mux.Handle("POST /ops/api/compensations", withOp(o, handleOpsCompensationRequest(o)))
	mux.Handle("GET /ops/api/compensations/{id}", withOp(o, handleOpsCompensation(o)))
	mux.Handle("POST /ops/api/compensations/{id}/approve", withOp(o, handleOpsCompensationApprove(o)))
	mux.Handle("POST /ops/api/search", withOp(o, handleOpsSearch(o)))
	mux.Handle("GET /ops/api/reviews", withOp(o, handleOpsReviews(o)))
	mux.Handle("POST /ops/api/reviews/{id}/approve", withOp(o, handleOpsReviewDecide(o, true)))
	mux.Handle("POST /ops/api/reviews/{id}/reject", withOp(o, handleOpsReviewDecide(o, false)))
	mux.Handle("GET /ops/api/cases", withOp(o, handleOpsCases(o)))
	mux.Handle("POST /ops/api/cases", withOp(o, handleOpsCaseOpen(o)))
	mux.Handle("GET /ops/api/cases/{id}", withOp(o, handleOpsCase(o)))
	mux.Handle("POST /ops/api/cases/{id}/notes", withOp(o, handleOpsCaseNote(o)))
	mux.Handle("POST /ops/api/cases/{id}/status", withOp(o, handleOpsCaseStatus(o)))
	mux.Handle("GET /ops/api/approvals", withOp(o, handleOpsApprovals(o)))
	mux.Handle("POST /ops/api/approvals/{id}/approve", withOp(o, handleOpsApprovalDecide(o, true)))
	mux.Handle("POST /ops/api/approvals/{id}/reject", withOp(o, handleOpsApprovalDecide(o, false)))
}
