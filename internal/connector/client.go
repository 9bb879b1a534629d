package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/jsonx"
)

const (
	// clientTimeout bounds one call to a counterpart when the caller gives
	// no http.Client of its own: long enough for a slow bank, short enough
	// that a stuck one does not hold a user's request for minutes.
	clientTimeout = 15 * time.Second
	// responseBytesMax bounds a counterpart's answer; ours are under 2 KiB.
	responseBytesMax = 1 << 20
)

// base is the HTTP plumbing shared by the clients.
type base struct {
	url    string // without trailing slash
	http   *http.Client
	apiKey string // sent as a Bearer token when set (not for bank calls)
}

func newBase(baseURL string, hc *http.Client) (base, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return base{}, fmt.Errorf("connector: base URL %q must be an absolute http(s) URL", baseURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: clientTimeout}
	}
	return base{url: strings.TrimRight(baseURL, "/"), http: hc}, nil
}

// errorBody accepts both error shapes: saifu's {"error": {"code", "message"}}
// and OAuth 2.0's {"error": "invalid_grant", "error_description": "…"}.
type errorBody struct {
	Error            json.RawMessage `json:"error"`
	ErrorDescription string          `json:"error_description"`
}

func parseError(op string, status int, body []byte) *Error {
	e := &Error{Op: op, Status: status}
	var eb errorBody
	if jsonx.DecodeAnswer(body, &eb) == nil && len(eb.Error) > 0 {
		var obj struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		var s string
		if jsonx.DecodeAnswer(eb.Error, &obj) == nil {
			e.Code, e.Message = obj.Code, obj.Message
		} else if json.Unmarshal(eb.Error, &s) == nil { // a bare string has no names to match
			e.Code, e.Message = s, eb.ErrorDescription
		}
	}
	e.Err = sentinelFor(status, e.Code)
	return e
}

// do sends req and decodes a 2xx JSON answer into out. Every failure is an
// *Error wrapping a sentinel.
func (b base) do(req *http.Request, op string, out any) error {
	req.Header.Set("Accept", "application/json")
	resp, err := b.http.Do(req)
	if err != nil {
		return &Error{Op: op, Err: ErrUnavailable, Cause: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, responseBytesMax+1))
	if err != nil {
		return &Error{Op: op, Status: resp.StatusCode, Err: ErrUnavailable, Cause: err}
	}
	if len(body) > responseBytesMax {
		return &Error{Op: op, Status: resp.StatusCode, Err: ErrUnavailable, Cause: errors.New("response too large")}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return parseError(op, resp.StatusCode, body)
	}
	if out == nil {
		return nil
	}
	// Exact names, no duplicates (a counterpart's "AMOUNT" is not our
	// amount); members we do not know are skipped, as answers may grow.
	if err := jsonx.DecodeAnswer(body, out); err != nil {
		return &Error{Op: op, Status: resp.StatusCode, Err: ErrUnavailable, Cause: fmt.Errorf("malformed answer: %w", err)}
	}
	return nil
}

// json sends a JSON request (body may be nil) with an optional bearer token.
func (b base) json(ctx context.Context, op, method, path, bearer string, in, out any) error {
	var rd io.Reader
	if in != nil {
		buf, err := json.Marshal(in)
		if err != nil {
			return &Error{Op: op, Err: ErrInvalidRequest, Cause: err}
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.url+path, rd)
	if err != nil {
		return &Error{Op: op, Err: ErrInvalidRequest, Cause: err}
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer == "" {
		bearer = b.apiKey
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return b.do(req, op, out)
}

// form sends an application/x-www-form-urlencoded POST (OAuth token endpoint).
func (b base) form(ctx context.Context, op, path string, vals url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url+path, strings.NewReader(vals.Encode()))
	if err != nil {
		return &Error{Op: op, Err: ErrInvalidRequest, Cause: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req, op, out)
}

// invalid returns an ErrInvalidRequest for an argument refused before any call.
func invalid(op, msg string) error {
	return &Error{Op: op, Code: "invalid_request", Message: msg, Err: ErrInvalidRequest}
}
