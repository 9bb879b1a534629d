package httpapi

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// handleHealthz answers as long as the process serves HTTP.
func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, r, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// handleReadyz answers 200 only when ready() reports no error.
func handleReadyz(ready func() error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ready != nil {
			if err := ready(); err != nil {
				writeError(w, r, apperr.Wrap(apperr.Unavailable, "not ready", err))
				return
			}
		}
		encode(w, r, http.StatusOK, map[string]string{"status": "ready"})
	})
}

func handleNotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, apperr.E(apperr.NotFound, "no such route").JA("そのURLは存在しません"))
	})
}
