package httpapi

import "net/http"

// addRoutes lists saifu's whole HTTP surface (../shared/design/API.md).
func addRoutes(mux *http.ServeMux, d Deps) {
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", handleReadyz(d.Ready))

	mux.Handle("/", handleNotFound())
}
