package httpapi

import (
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/funding"
)

type bankLinkJSON struct {
	BankLinkID            string     `json:"bank_link_id"`
	BankCode              string     `json:"bank_code"`
	Status                string     `json:"status"`
	AccountLast4          string     `json:"account_last4,omitempty"`
	AuthorizeURL          string     `json:"authorize_url,omitempty"`
	RejectReason          string     `json:"reject_reason,omitempty"`
	CreatedAt             time.Time  `json:"created_at"`
	UsableForWithdrawalAt *time.Time `json:"usable_for_withdrawal_at"`
}

func bankLinkOut(l funding.BankLink) bankLinkJSON {
	out := bankLinkJSON{BankLinkID: l.ID, BankCode: l.BankCode, Status: l.Status, AccountLast4: l.AccountLast4,
		AuthorizeURL: l.AuthorizeURL, RejectReason: l.RejectReason, CreatedAt: l.CreatedAt}
	if !l.UsableForWithdrawalAt.IsZero() {
		t := l.UsableForWithdrawalAt
		out.UsableForWithdrawalAt = &t
	}
	return out
}

type bankLinkRequest struct {
	BankCode string `json:"bank_code"`
}

func (q *bankLinkRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "bank_code", q.BankCode)
	return p
}

// handleStartBankLink: POST /api/v1/bank-links {bank_code} →
// {bank_link_id, status: "pending", authorize_url} (KYC-verified user,
// privileged session: both checked by funding).
func handleStartBankLink(fs *funding.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[bankLinkRequest](r)
		if err != nil {
			return err
		}
		c := clientFrom(r)
		l, err := fs.StartBankLink(r.Context(), sessionFrom(r), funding.Client{IP: c.IP.String(), DeviceID: c.DeviceID}, q.BankCode)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusCreated, bankLinkOut(l))
		return nil
	})
}

// handleBankLinkCallback: GET /api/v1/bank-links/callback?code&state (or
// ?error&state) — the bank's redirect target. The single-use state names
// the link and its user; no session is needed. A browser gets a page
// (funding_banklink_page.go), any other client JSON.
func handleBankLinkCallback(fs *funding.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		l, err := fs.FinishBankLink(r.Context(), q.Get("state"), q.Get("code"), q.Get("error"))
		switch {
		case err != nil && wantsHTML(r):
			// A browser gets the refusal as a page, with the status the
			// JSON error would have: written here, not by the adapter.
			e := publicError(r, err)
			writeBankLinkPage(w, r, statusOf(e.Code), bankLinkFailedPage(r, e))
			return nil
		case err != nil:
			return err
		case wantsHTML(r):
			writeBankLinkPage(w, r, http.StatusOK, bankLinkLinkedPage(l))
		default:
			encode(w, r, http.StatusOK, bankLinkOut(l))
		}
		return nil
	})
}

// handleBankLinks: GET /api/v1/bank-links → {items: [link…]}.
func handleBankLinks(fs *funding.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		ls, err := fs.BankLinks(r.Context(), sessionFrom(r).UserID)
		if err != nil {
			return err
		}
		items := make([]bankLinkJSON, 0, len(ls))
		for _, l := range ls {
			items = append(items, bankLinkOut(l))
		}
		encode(w, r, http.StatusOK, map[string]any{"items": items})
		return nil
	})
}

// handleBankLink: GET /api/v1/bank-links/{id}.
func handleBankLink(fs *funding.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		l, err := fs.BankLink(r.Context(), sessionFrom(r).UserID, r.PathValue("id"))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, bankLinkOut(l))
		return nil
	})
}

// handleRemoveBankLink: DELETE /api/v1/bank-links/{id} → 204.
func handleRemoveBankLink(fs *funding.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := fs.RemoveBankLink(r.Context(), sessionFrom(r).UserID, r.PathValue("id")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
