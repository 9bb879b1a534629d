package sandbox

import (
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Document tokens the sandbox eKYC provider knows.
const (
	DocumentApprove = "sandbox-approve"
	DocumentReject  = "sandbox-reject"
	nameRunesMax    = 100
)

type kycRequest struct {
	FullName      string `json:"full_name"`
	BirthDate     string `json:"birth_date"`
	DocumentToken string `json:"document_token"`
}

type kycAnswer struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	FullName  string `json:"full_name,omitempty"`
	BirthDate string `json:"birth_date,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

func (k kycRequest) valid(now time.Time) *apiError {
	name := strings.TrimSpace(k.FullName)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > nameRunesMax ||
		strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return invalid("full_name must be 1-100 printable characters")
	}
	bd, err := time.Parse(time.DateOnly, k.BirthDate)
	if err != nil || bd.Year() < 1900 || bd.After(now) {
		return invalid("birth_date must be a past date as YYYY-MM-DD")
	}
	if k.DocumentToken != DocumentApprove && k.DocumentToken != DocumentReject {
		return fail(http.StatusBadRequest, "invalid_document", "unknown document token (sandbox: sandbox-approve or sandbox-reject)")
	}
	return nil
}

// handleKYC checks a document: sandbox-approve verifies the submitted name
// and birth date as the document's, sandbox-reject rejects.
func (s *Sandbox) handleKYC(w http.ResponseWriter, r *http.Request) {
	var req kycRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeErr(w, r, err)
		return
	}
	now := s.clock()
	if err := req.valid(now); err != nil {
		s.writeErr(w, r, err)
		return
	}
	ans := kycAnswer{ID: randToken("kyc_", 16), Status: "verified", FullName: strings.TrimSpace(req.FullName), BirthDate: req.BirthDate}
	if req.DocumentToken == DocumentReject {
		ans = kycAnswer{ID: ans.ID, Status: "rejected", Reason: "document_not_verified"}
	}
	_, err := s.db.Exec(r.Context(), `INSERT INTO sandbox_kyc_checks (id, status, full_name, birth_date, document_token, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, ans.ID, ans.Status, strings.TrimSpace(req.FullName), req.BirthDate, req.DocumentToken, ms(now))
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ans)
}
