package httpapi

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// handleHealthz answers as long as the process serves HTTP.
func handleHealthz() http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		encode(w, r, http.StatusOK, map[string]string{"status": "ok"})
		return nil
	})
}

// handleReadyz answers 200 only when ready() reports no error.
func handleReadyz(ready func() error) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if ready != nil {
			if err := ready(); err != nil {
				return apperr.Wrap(apperr.Unavailable, "not ready", err)
			}
		}
		encode(w, r, http.StatusOK, map[string]string{"status": "ready"})
		return nil
	})
}

func handleNotFound() http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return apperr.E(apperr.NotFound, "no such route").JA("そのURLは存在しません")
	})
}
