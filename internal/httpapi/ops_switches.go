package httpapi

import (
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/ops"
)

type switchView struct {
	Capability string  `json:"capability"`
	Enabled    bool    `json:"enabled"`
	Reason     string  `json:"reason"`
	UpdatedBy  string  `json:"updated_by"`
	UpdatedAt  *string `json:"updated_at"`
}

func viewSwitch(s ops.Switch) switchView {
	v := switchView{Capability: s.Capability, Enabled: s.Enabled, Reason: s.Reason, UpdatedBy: s.UpdatedBy}
	if !s.UpdatedAt.IsZero() {
		at := s.UpdatedAt.Format(time.RFC3339Nano)
		v.UpdatedAt = &at
	}
	return v
}

// handleOpsSwitches: GET /ops/api/switches → {items: [switch, …]}, every
// capability in API.md's order.
func handleOpsSwitches(o *ops.Operators) http.Handler {
	type response struct {
		Items []switchView `json:"items"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		all, err := o.Switches(r.Context(), opSessionFrom(r))
		if err != nil {
			return err
		}
		out := response{Items: make([]switchView, 0, len(all))}
		for _, s := range all {
			out.Items = append(out.Items, viewSwitch(s))
		}
		encode(w, r, http.StatusOK, out)
		return nil
	})
}

type switchSetRequest struct {
	Enabled *bool  `json:"enabled"`
	Reason  string `json:"reason"`
}

func (q *switchSetRequest) Valid() map[string]string {
	p := map[string]string{}
	if q.Enabled == nil {
		p["enabled"] = "required"
	}
	return p
}

// handleOpsSwitchSet: PUT /ops/api/switches/{capability} {enabled, reason}
// → the switch; 403 below the risk role, 404 for an unknown capability.
func handleOpsSwitchSet(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[switchSetRequest](r)
		if err != nil {
			return err
		}
		s, err := o.SetSwitch(r.Context(), opSessionFrom(r), r.PathValue("capability"), *q.Enabled, q.Reason)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, viewSwitch(s))
		return nil
	})
}
