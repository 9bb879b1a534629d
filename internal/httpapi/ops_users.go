package httpapi

import (
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/ops"
)

type freezeView struct {
	Frozen    bool    `json:"frozen"`
	Reason    string  `json:"reason"`
	UpdatedBy string  `json:"updated_by"`
	UpdatedAt *string `json:"updated_at"`
}

func viewFreeze(f ops.FreezeState) freezeView {
	return freezeView{Frozen: f.Frozen, Reason: f.Reason, UpdatedBy: f.UpdatedBy, UpdatedAt: optTime(f.UpdatedAt)}
}

// optTime is t in RFC 3339, nil when zero.
func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

type opsUserView struct {
	UserID            string           `json:"user_id"`
	Email             string           `json:"email"`
	Lang              string           `json:"lang"`
	CreatedAt         string           `json:"created_at"`
	AccountHold       string           `json:"account_hold"`
	CoolingOffUntil   *string          `json:"cooling_off_until"`
	KYC               opsKYCView       `json:"kyc"`
	Factors           []opsFactorView  `json:"factors"`
	RecoveryCodesLeft int              `json:"recovery_codes_left"`
	Sessions          []opsSessionView `json:"sessions"`
	Devices           []opsDeviceView  `json:"devices"`
	RecentLogins      []opsLoginView   `json:"recent_logins"`
	CredentialChanges []opsEventView   `json:"credential_changes"`
	Balances          opsBalancesView  `json:"balances"`
	Holds             []opsHoldView    `json:"holds"`
	Freeze            freezeView       `json:"freeze"`
	// Limits are those operators set in place of the KYC level's.
	Limits []opsLimitView `json:"limits"`
	// RiskDecisions are the risk engine's latest decisions on the user.
	RiskDecisions []opsDecisionView `json:"risk_decisions"`
	// Cases are the operators' cases on the user, newest first.
	Cases []opsCaseView `json:"cases"`
}

type opsDecisionView struct {
	DecisionID string                `json:"decision_id"`
	At         string                `json:"at"`
	Kind       string                `json:"kind"`
	Action     string                `json:"action"`
	Reasons    []opsReviewReasonView `json:"reasons"`
}

func viewDecision(d ops.UserDecision) opsDecisionView {
	return opsDecisionView{DecisionID: d.ID, At: rfc(d.At), Kind: d.Kind, Action: d.Action, Reasons: viewReasons(d.Reasons)}
}

type opsLimitView struct {
	Flow           string `json:"flow"`
	PerTransaction int64  `json:"per_transaction"`
	PerDay         int64  `json:"per_day"`
	PerMonth       int64  `json:"per_month"`
	UpdatedBy      string `json:"updated_by"`
	Reason         string `json:"reason"`
	UpdatedAt      string `json:"updated_at"`
}

type opsKYCView struct {
	Status string `json:"status"`
	Name   string `json:"name"`
}

type opsFactorView struct {
	Kind       string  `json:"kind"`
	EnrolledAt *string `json:"enrolled_at"`
}

type opsSessionView struct {
	SessionID  string   `json:"session_id"`
	Factors    []string `json:"factors"`
	IP         string   `json:"ip"`
	UserAgent  string   `json:"user_agent"`
	CreatedAt  string   `json:"created_at"`
	LastSeenAt string   `json:"last_seen_at"`
	ExpiresAt  string   `json:"expires_at"`
}

type opsDeviceView struct {
	UserAgent    string `json:"user_agent"`
	FirstSeen    string `json:"first_seen"`
	LastSeen     string `json:"last_seen"`
	RecognisedAt string `json:"recognised_at"`
}

type opsLoginView struct {
	At string `json:"at"`
	IP string `json:"ip"`
	OK bool   `json:"ok"`
}

type opsEventView struct {
	At     string `json:"at"`
	Actor  string `json:"actor"`
	Action string `json:"action"`
	IP     string `json:"ip"`
	Detail string `json:"detail"`
}

type opsBalancesView struct {
	Currency  string `json:"currency"`
	Money     int64  `json:"money"`
	MoneyLite int64  `json:"money_lite"`
}

type opsHoldView struct {
	WithdrawalID string  `json:"withdrawal_id"`
	Amount       int64   `json:"amount"`
	Reason       string  `json:"reason"`
	ReleaseAt    *string `json:"release_at"`
	CreatedAt    string  `json:"created_at"`
}

func viewOpsUser(p ops.UserPage) opsUserView {
	v := opsUserView{UserID: p.ID, Email: p.Email, Lang: p.Lang, CreatedAt: rfc(p.CreatedAt), AccountHold: p.AccountHold,
		CoolingOffUntil: optTime(p.CoolingOffUntil), RecoveryCodesLeft: p.RecoveryCodesLeft, Freeze: viewFreeze(p.Frozen),
		KYC:      opsKYCView{Status: p.KYC.Status, Name: p.KYC.Name},
		Balances: opsBalancesView{Currency: p.Balances.Currency, Money: p.Balances.Money, MoneyLite: p.Balances.MoneyLite},
		// Lists are [] rather than null when empty.
		Factors: []opsFactorView{}, Sessions: []opsSessionView{}, Devices: []opsDeviceView{},
		RecentLogins: []opsLoginView{}, CredentialChanges: []opsEventView{}, Holds: []opsHoldView{}, Limits: []opsLimitView{},
	}
	v.RiskDecisions = []opsDecisionView{}
	for _, d := range p.Decisions {
		v.RiskDecisions = append(v.RiskDecisions, viewDecision(d))
	}
	v.Cases = []opsCaseView{}
	for _, c := range p.Cases {
		v.Cases = append(v.Cases, viewCase(c))
	}
	for _, l := range p.Limits {
		v.Limits = append(v.Limits, opsLimitView{l.Flow, l.PerTransaction, l.PerDay, l.PerMonth, l.UpdatedBy, l.Reason, rfc(l.UpdatedAt)})
	}
	for _, f := range p.Factors {
		v.Factors = append(v.Factors, opsFactorView{f.Kind, optTime(f.EnrolledAt)})
	}
	for _, s := range p.Sessions {
		v.Sessions = append(v.Sessions, opsSessionView{s.ID, s.Factors, s.IP, s.UserAgent, rfc(s.CreatedAt), rfc(s.LastSeenAt), rfc(s.ExpiresAt)})
	}
	for _, d := range p.Devices {
		v.Devices = append(v.Devices, opsDeviceView{d.UserAgent, rfc(d.FirstSeen), rfc(d.LastSeen), rfc(d.RecognisedAt)})
	}
	for _, l := range p.RecentLogins {
		v.RecentLogins = append(v.RecentLogins, opsLoginView{rfc(l.At), l.IP, l.OK})
	}
	for _, e := range p.CredentialChanges {
		v.CredentialChanges = append(v.CredentialChanges, opsEventView{rfc(e.At), e.Actor, e.Action, e.IP, e.Detail})
	}
	for _, h := range p.Holds {
		v.Holds = append(v.Holds, opsHoldView{h.WithdrawalID, h.Amount, h.Reason, optTime(h.ReleaseAt), rfc(h.CreatedAt)})
	}
	return v
}

// handleOpsUserFind: GET /ops/api/users?email=… → the user (the address
// normalised as identity normalises it); 400 without an address, 404.
func handleOpsUserFind(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		p, err := o.FindUser(r.Context(), opSessionFrom(r), r.URL.Query().Get("email"))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, viewOpsUser(p))
		return nil
	})
}

// handleOpsUser: GET /ops/api/users/{id} → the user; 404.
func handleOpsUser(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		p, err := o.User(r.Context(), opSessionFrom(r), r.PathValue("id"))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, viewOpsUser(p))
		return nil
	})
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

// handleOpsFreeze: POST /ops/api/users/{id}/freeze {reason} → 200
// {user_id, freeze}; 404 unknown user, 409 already frozen.
func handleOpsFreeze(o *ops.Operators) http.Handler {
	type response struct {
		UserID string     `json:"user_id"`
		Freeze freezeView `json:"freeze"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[reasonRequest](r)
		if err != nil {
			return err
		}
		f, err := o.Freeze(r.Context(), opSessionFrom(r), r.PathValue("id"), q.Reason)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, response{UserID: r.PathValue("id"), Freeze: viewFreeze(f)})
		return nil
	})
}

// handleOpsUnfreeze: POST /ops/api/users/{id}/unfreeze {reason} → 202
// {approval_id, status: "pending_approval"}: another support operator
// approves it (POST /ops/api/approvals/{id}/approve).
func handleOpsUnfreeze(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[reasonRequest](r)
		if err != nil {
			return err
		}
		a, err := o.RequestUnfreeze(r.Context(), opSessionFrom(r), r.PathValue("id"), q.Reason)
		if err != nil {
			return err
		}
		encodePending(w, r, a.ID, a.ExpiresAt)
		return nil
	})
}

type holdResolveRequest struct {
	KeepEmail string `json:"keep_email"`
	Reason    string `json:"reason"`
}

func (q *holdResolveRequest) Valid() map[string]string {
	p := map[string]string{}
	if q.KeepEmail == "" {
		p["keep_email"] = "required"
	}
	return p
}

// handleOpsHoldResolve: POST /ops/api/users/{id}/hold/resolve
// {keep_email, reason} → 204; 409 when the account is not held.
func handleOpsHoldResolve(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[holdResolveRequest](r)
		if err != nil {
			return err
		}
		if err := o.ResolveHold(r.Context(), opSessionFrom(r), r.PathValue("id"), q.KeepEmail, q.Reason); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

type opsLimitRequest struct {
	Flow           string `json:"flow"`
	PerTransaction int64  `json:"per_transaction"`
	PerDay         int64  `json:"per_day"`
	PerMonth       int64  `json:"per_month"`
	Reset          bool   `json:"reset"`
	Reason         string `json:"reason"`
}

// handleOpsUserLimits: PUT /ops/api/users/{id}/limits {flow,
// per_transaction, per_day, per_month, reason} (or {flow, reset: true,
// reason}) → 202 {approval_id, status: "pending_approval", expires_at}: a
// four-eyes request another risk operator approves. 400 for the limit or
// reason, 403 below risk, 404 unknown user, 409 when a change is pending.
func handleOpsUserLimits(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[opsLimitRequest](r)
		if err != nil {
			return err
		}
		l := ops.UserLimit{Flow: q.Flow, PerTransaction: q.PerTransaction, PerDay: q.PerDay, PerMonth: q.PerMonth, Reset: q.Reset}
		a, err := o.RequestLimitChange(r.Context(), opSessionFrom(r), r.PathValue("id"), l, q.Reason)
		if err != nil {
			return err
		}
		encodePending(w, r, a.ID, a.ExpiresAt)
		return nil
	})
}
