package httpapi

import (
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/ops"
)

type opsInviteRequest struct {
	Email string   `json:"email"`
	Roles []string `json:"roles"`
	Lang  string   `json:"lang"` // of the invitee's mails: "ja" (default) or "en"
}

// Valid leaves the roles and the language to the service, which refuses
// no role or an unknown one (there is no default role).
func (q *opsInviteRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "email", q.Email)
	return p
}

// handleOpsInvite: POST /ops/api/operators {email, roles, lang?} → 201
// {operator_id, status: "invited", expires_at}; the token goes to the
// invitee by mail only. 400 for the address or roles, 403 below admin,
// 409 when an operator has the address.
func handleOpsInvite(o *ops.Operators) http.Handler {
	type response struct {
		OperatorID string `json:"operator_id"`
		Status     string `json:"status"`
		ExpiresAt  string `json:"expires_at"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[opsInviteRequest](r)
		if err != nil {
			return err
		}
		inv, err := o.Invite(r.Context(), opSessionFrom(r), q.Email, q.Roles, q.Lang)
		if err != nil {
			return err
		}
		if inv.ApprovalID != "" { // four-eyes: another admin approves it
			encodePending(w, r, inv.ApprovalID, inv.ExpiresAt)
			return nil
		}
		encode(w, r, http.StatusCreated, response{OperatorID: inv.OperatorID, Status: ops.StatusInvited, ExpiresAt: inv.ExpiresAt.Format(time.RFC3339)})
		return nil
	})
}

type operatorListItem struct {
	OperatorID  string   `json:"operator_id"`
	Email       string   `json:"email"`
	Roles       []string `json:"roles"`
	Status      string   `json:"status"` // invited, pending or active
	CreatedAt   string   `json:"created_at"`
	LastLoginAt *string  `json:"last_login_at"` // null: never
	ExpiresAt   *string  `json:"expires_at,omitempty"`
}

func rfc3339OrNil(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// handleOpsOperators: GET /ops/api/operators → {items, truncated}, for an
// admin: every operator and outstanding invitation.
func handleOpsOperators(o *ops.Operators) http.Handler {
	type response struct {
		Items     []operatorListItem `json:"items"`
		Truncated bool               `json:"truncated"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		items, truncated, err := o.ListOperators(r.Context(), opSessionFrom(r))
		if err != nil {
			return err
		}
		out := response{Items: make([]operatorListItem, 0, len(items)), Truncated: truncated}
		for _, it := range items {
			roles := it.Roles
			if roles == nil {
				roles = []string{}
			}
			out.Items = append(out.Items, operatorListItem{OperatorID: it.ID, Email: it.Email, Roles: roles, Status: it.Status,
				CreatedAt: it.CreatedAt.UTC().Format(time.RFC3339), LastLoginAt: rfc3339OrNil(it.LastLoginAt), ExpiresAt: rfc3339OrNil(it.ExpiresAt)})
		}
		encode(w, r, http.StatusOK, out)
		return nil
	})
}

type opsAcceptRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

func (q *opsAcceptRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "token", q.Token)
	required(p, "password", q.Password)
	return p
}

// handleOpsAcceptInvite: POST /ops/api/invites/accept {token, password} →
// 200 {operator_id, totp_secret, otpauth_uri}; the operator is active
// after its first login with a TOTP code. 401 for a wrong, used or
// expired token, 400 for a password the policy refuses, 429.
func handleOpsAcceptInvite(o *ops.Operators) http.Handler {
	type response struct {
		OperatorID string `json:"operator_id"`
		TOTPSecret string `json:"totp_secret"`
		OTPAuthURI string `json:"otpauth_uri"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[opsAcceptRequest](r)
		if err != nil {
			return err
		}
		en, err := o.AcceptInvite(r.Context(), q.Token, q.Password, opClientFrom(r))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, response{OperatorID: en.OperatorID, TOTPSecret: en.TOTPSecret, OTPAuthURI: en.OTPAuthURI})
		return nil
	})
}

type opsRolesRequest struct {
	Roles  []string `json:"roles"`
	Reason string   `json:"reason"`
}

// handleOpsRoles: PUT /ops/api/operators/{id}/roles {roles, reason} → 202
// {approval_id, status: "pending_approval", expires_at}: a four-eyes
// request that another admin approves (POST /ops/api/approvals/{id}/approve).
// 400 for the roles, 403 below admin, 404 unknown operator, 409 when the
// roles are theirs already, the change would leave no active admin, or a
// change is pending.
func handleOpsRoles(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[opsRolesRequest](r)
		if err != nil {
			return err
		}
		a, err := o.RequestRoleChange(r.Context(), opSessionFrom(r), r.PathValue("id"), q.Roles, q.Reason)
		if err != nil {
			return err
		}
		encodePending(w, r, a.ID, a.ExpiresAt)
		return nil
	})
}
