package web

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/identity"
)

type kycData struct {
	Status   string
	FullName string
	Birth    string
	// Demo shows the sandbox's document tokens.
	Demo bool
}

func (s *server) kycData(r *http.Request) (kycData, error) {
	u, err := s.d.Identity.User(r.Context(), stateOf(r).sess.UserID)
	if err != nil {
		return kycData{}, err
	}
	return kycData{Status: u.KYCStatus, Demo: s.d.Demo}, nil
}

// kycForm: GET /kyc — the identity check's status, and its form until
// it is verified.
func (s *server) kycForm(w http.ResponseWriter, r *http.Request) error {
	d, err := s.kycData(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "kyc", "kyc.title", d, "")
	return nil
}

// kyc: POST /kyc {full_name, birth_date, document_token} → the wallet's
// eKYC check (the wallet validates the fields and decides).
func (s *server) kyc(w http.ResponseWriter, r *http.Request) error {
	d, err := s.kycData(r)
	if err != nil {
		return err
	}
	d.FullName, d.Birth = formValue(r, "full_name"), formValue(r, "birth_date")
	if d.Status == identity.KYCVerified {
		http.Redirect(w, r, "/kyc", http.StatusSeeOther)
		return nil
	}
	if _, err := s.d.Wallet.SubmitKYC(r.Context(), stateOf(r).sess.UserID, d.FullName, d.Birth, formValue(r, "document_token")); err != nil {
		return s.formError(w, r, "kyc", "kyc.title", d, err)
	}
	http.Redirect(w, r, "/kyc", http.StatusSeeOther)
	return nil
}
