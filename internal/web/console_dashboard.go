package web

import (
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
)

// dashboardQueueMax bounds what the dashboard reads of the review queue
// and of the pending approvals: it shows their size up to this ("100+"
// beyond), and the queue's oldest item.
const dashboardQueueMax = 100

type dashboardData struct {
	Switches []ops.Switch
	// CanSwitch: the operator's role may switch (the service decides).
	CanSwitch bool
	// Reviews is nil when the operator's role may not read the queue.
	Reviews *queueSize
	// Approvals is the four-eyes requests waiting.
	Approvals queueSize
	// Traffic is the last day per minute (nil without a risk engine).
	Traffic *trafficView
	// Alerts are the newest credential-stuffing alerts.
	Alerts []ops.Alert
}

// dashboardAlertsMax is how many alerts the dashboard shows, newest first.
const dashboardAlertsMax = 10

// queueSize is how much waits: N items (More: at least), the oldest
// since Oldest (zero when none).
type queueSize struct {
	N      int
	More   bool
	Oldest time.Time
}

// consoleDashboard: GET /ops/ — the kill switches with their reasons and
// who changed them, the review queue and the approvals waiting.
func (s *server) consoleDashboard(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	sws, err := s.d.Ops.Switches(r.Context(), st.op)
	if err != nil {
		return err
	}
	d := dashboardData{Switches: sws, CanSwitch: st.op.Operator.Has(ops.RoleRisk)}
	if st.op.Operator.Has(ops.RoleRisk) {
		items, err := s.d.Ops.Reviews(r.Context(), st.op, dashboardQueueMax)
		if err != nil && apperr.CodeOf(err) != apperr.Unavailable {
			return err
		}
		q := queueSize{N: len(items), More: len(items) == dashboardQueueMax}
		if len(items) > 0 {
			q.Oldest = items[0].CreatedAt // oldest first
		}
		d.Reviews = &q
	}
	as, next, err := s.d.Ops.Approvals(r.Context(), st.op, ops.ApprovalPending, "", dashboardQueueMax)
	if err != nil {
		return err
	}
	d.Approvals = queueSize{N: len(as), More: next != ""}
	if len(as) > 0 {
		d.Approvals.Oldest = as[len(as)-1].CreatedAt // newest first
	}
	if d.Traffic, err = s.traffic(r.Context(), st.op); err != nil {
		return err
	}
	if d.Alerts, err = s.d.Ops.StuffingAlerts(r.Context(), st.op, dashboardAlertsMax); err != nil && apperr.CodeOf(err) != apperr.Unavailable {
		return err
	}
	s.render(w, r, http.StatusOK, "console_dashboard", "console.dashboard_title", d, "")
	return nil
}

// consoleSetSwitch: POST /ops/switches/{capability} {enabled, reason} —
// the service checks the role, the capability and the reason.
func (s *server) consoleSetSwitch(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	capability := r.PathValue("capability")
	enabled := r.PostFormValue("enabled") == "1"
	if _, err := s.d.Ops.SetSwitch(r.Context(), st.op, capability, enabled, formValue(r, "reason")); err != nil {
		return s.dashboardError(w, r, err)
	}
	http.Redirect(w, r, "/ops/", http.StatusSeeOther)
	return nil
}

// dashboardError shows the dashboard again with err's public message.
func (s *server) dashboardError(w http.ResponseWriter, r *http.Request, err error) error {
	if apperr.CodeOf(err) == apperr.Internal {
		return err
	}
	st := stateOf(r)
	sws, rerr := s.d.Ops.Switches(r.Context(), st.op)
	if rerr != nil {
		return rerr
	}
	d := dashboardData{Switches: sws, CanSwitch: st.op.Operator.Has(ops.RoleRisk)}
	s.render(w, r, statusOf(err), "console_dashboard", "console.dashboard_title", d, s.publicMessage(r, err))
	return nil
}
