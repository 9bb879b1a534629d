package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
)

// opsAuditLimitDefault is the page size when ?limit is absent; the audit
// package bounds it at 500.
const opsAuditLimitDefault = 100

type auditEntryView struct {
	Seq      int64  `json:"seq"`
	At       string `json:"at"`
	Actor    string `json:"actor"`
	Action   string `json:"action"`
	Target   string `json:"target"`
	Details  string `json:"details"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
	// Redacted: details left out for an operator below the risk role.
	Redacted bool `json:"redacted,omitempty"`
}

// handleOpsAudit: GET /ops/api/audit?after&limit → {items, next_cursor}
// (next_cursor empty on the last page), the chain fields included.
func handleOpsAudit(o *ops.Operators) http.Handler {
	type response struct {
		Items      []auditEntryView `json:"items"`
		NextCursor string           `json:"next_cursor"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		after, limit, err := auditPageQuery(r)
		if err != nil {
			return err
		}
		items, next, err := o.AuditPage(r.Context(), opSessionFrom(r), after, limit)
		if err != nil {
			return err
		}
		out := response{Items: make([]auditEntryView, 0, len(items))}
		for _, e := range items {
			out.Items = append(out.Items, auditEntryView{Seq: e.Seq, At: e.At.Format(time.RFC3339Nano), Actor: e.Actor,
				Action: e.Action, Target: e.Target, Details: e.Details, PrevHash: e.PrevHash, Hash: e.Hash, Redacted: e.Redacted})
		}
		if next > 0 {
			out.NextCursor = strconv.FormatInt(next, 10)
		}
		encode(w, r, http.StatusOK, out)
		return nil
	})
}

// auditPageQuery reads ?after (a seq, default 0) and ?limit (1…500,
// default opsAuditLimitDefault).
func auditPageQuery(r *http.Request) (after int64, limit int, err error) {
	q := r.URL.Query()
	problems := map[string]string{}
	if s := q.Get("after"); s != "" {
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < 0 {
			problems["after"] = "must be a cursor from next_cursor"
		}
	}
	limit = opsAuditLimitDefault
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 500 {
			problems["limit"] = "must be between 1 and 500"
		}
	}
	if len(problems) > 0 {
		e := apperr.E(apperr.Invalid, "invalid query").JA("クエリに誤りがあります")
		e.Fields = problems
		return 0, 0, e
	}
	return after, limit, nil
}
