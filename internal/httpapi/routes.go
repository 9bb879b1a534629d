package httpapi

import "net/http"

// addRoutes lists saifu's whole HTTP surface (../shared/design/API.md).
// Each section registers only when its service is configured in Deps.
func addRoutes(mux *http.ServeMux, d Deps) {
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", handleReadyz(d.Ready))

	// --- identity routes ---

	// --- wallet routes ---

	// --- merchant routes ---

	// --- sandbox routes (demo mode only) ---
	if d.Mailbox != nil {
		mux.Handle("GET /sandbox/api/messages", handleSandboxMessages(d.Mailbox))
	}

	mux.Handle("/", handleNotFound())
}
