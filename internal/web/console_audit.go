package web

import (
	"net/http"
	"strconv"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
)

// auditPageSize is one page of the audit log on the console.
const auditPageSize = 50

type consoleAuditData struct {
	Items []audit.Entry
	// After is this page's cursor, Next the following page's (0: none).
	After, Next int64
	// Report is the chain check's, when asked for (/ops/audit/verify).
	Report *audit.Report
}

// consoleAudit: GET /ops/audit?after — the linked entries after seq
// after, oldest first, with their chain fields.
func (s *server) consoleAudit(w http.ResponseWriter, r *http.Request) error {
	var after int64
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return apperr.E(apperr.Invalid, "after must be a sequence number").JA("after には通し番号を指定してください")
		}
		after = n
	}
	items, next, err := s.d.Ops.AuditPage(r.Context(), stateOf(r).op, after, auditPageSize)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "console_audit", "console.audit_title", consoleAuditData{Items: items, After: after, Next: next}, "")
	return nil
}

// consoleAuditVerify: GET /ops/audit/verify — the whole chain checked
// (a read, run only when asked: its cost grows with the log).
func (s *server) consoleAuditVerify(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.d.Ops.VerifyAudit(r.Context(), stateOf(r).op)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "console_audit", "console.audit_title", consoleAuditData{Report: &rep}, "")
	return nil
}
