package jsonx

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// BodyBytesMax bounds every JSON request body (API.md: over 64 KiB is 400);
// saifu's largest request, a passkey assertion, is under 4 KiB.
const BodyBytesMax = 64 << 10

// ReadRequest reads r's body, at most BodyBytesMax bytes, and decodes it
// into v with Decode. A Content-Type other than application/json is
// refused; an absent one is taken as JSON.
func ReadRequest(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return apperr.E(apperr.Invalid, "Content-Type must be application/json").JA("Content-Type は application/json にしてください")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, BodyBytesMax))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apperr.Wrap(apperr.Invalid, fmt.Sprintf("request body over %d bytes", BodyBytesMax), err).JA("リクエストが大きすぎます")
		}
		return apperr.Wrap(apperr.Invalid, "could not read request body", err).JA("リクエスト本文を読めませんでした")
	}
	return Decode(body, v)
}
