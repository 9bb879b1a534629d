package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// The contract test: docs/openapi.yaml describes exactly the routes of
// routes.go, and real responses of a short flow match its schemas.

const openAPIPath = "../../docs/openapi.yaml"

// spec is the parsed document.
type spec struct {
	doc map[string]any
	mu  sync.Mutex
	hit map[string]bool // "GET /path status" exercised
}

func loadSpec(t testing.TB) *spec {
	t.Helper()
	b, err := os.ReadFile(openAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	v, err := parseYAML(string(b))
	if err != nil {
		t.Fatalf("%s: %v", openAPIPath, err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: top level is not a mapping", openAPIPath)
	}
	return &spec{doc: doc, hit: map[string]bool{}}
}

// obj returns m[k] as a mapping (nil when absent or not a mapping).
func obj(m any, k string) map[string]any {
	mm, _ := m.(map[string]any)
	v, _ := mm[k].(map[string]any)
	return v
}

// resolve follows a local $ref ("#/a/b/c").
func (s *spec) resolve(v any) (any, error) {
	for range 16 {
		m, ok := v.(map[string]any)
		if !ok {
			return v, nil
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v, nil
		}
		if !strings.HasPrefix(ref, "#/") {
			return nil, fmt.Errorf("non-local $ref %q", ref)
		}
		var cur any = s.doc
		for _, part := range strings.Split(ref[2:], "/") {
			part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
			cm, ok := cur.(map[string]any)
			if !ok || cm[part] == nil {
				return nil, fmt.Errorf("unresolved $ref %q", ref)
			}
			cur = cm[part]
		}
		v = cur
	}
	return nil, fmt.Errorf("$ref loop")
}

// route is one mux.Handle line of routes.go.
type route struct {
	method, path string
	idem         bool   // wrapped with idem(...)
	security     string // "sessionToken", "merchantKey", "operatorSession" or ""
	pkg, handler string // where the handler is declared: "httpapi", "handleSignup"
}

var (
	handleRE      = regexp.MustCompile(`mux\.Handle(?:Func)?\("([^"]+)",\s*(.*)\)\s*$`)
	handlerNameRE = regexp.MustCompile(`\b(handle[A-Z0-9]\w*)\b`)
)

// routeFiles hold the mux.Handle lines: routes.go, and the operator
// surface it includes (addOpsRoutes).
var routeFiles = []string{"routes.go", "ops_routes.go"}

// sourceRoutes reads routeFiles; method-less patterns ("/", "/sandbox/")
// are prefix delegations, not API operations, and are returned apart.
func sourceRoutes(t testing.TB) (routes []route, prefixes []string) {
	t.Helper()
	var b []byte
	for _, f := range routeFiles {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b = append(append(b, src...), '\n')
	}
	for _, line := range strings.Split(string(b), "\n") {
		m := handleRE.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		method, path, ok := strings.Cut(m[1], " ")
		if !ok {
			prefixes = append(prefixes, m[1])
			continue
		}
		r := route{method: method, path: path, idem: strings.Contains(m[2], "idem("), pkg: "httpapi"}
		if h := handlerNameRE.FindStringSubmatch(m[2]); h != nil {
			r.handler = h[1]
		}
		switch {
		case strings.HasPrefix(m[2], "withUser("):
			r.security = "sessionToken"
		case strings.HasPrefix(m[2], "withM(") || strings.HasPrefix(m[2], "withMerchant("):
			r.security = "merchantKey"
		case strings.HasPrefix(m[2], "withOp("):
			r.security = "operatorSession"
		}
		routes = append(routes, r)
	}
	if len(routes) < 10 {
		t.Fatalf("found only %d routes in routes.go: the pattern no longer matches", len(routes))
	}
	return routes, prefixes
}

// sandboxUndocumented are the sandbox routes that the document leaves out,
// and why. Every other sandbox route (the pages a person or an integrator's
// test drives, card tokenisation) is described under the sandbox tag.
var sandboxUndocumented = map[string]string{
	// The index is a help page for people (test accounts, cards, phones);
	// the card token operation and the sandbox tag say what it lists.
	"GET /sandbox/{$}": "help page",
	// Only saifu's own connectors call these: the imitated bank's,
	// acquirer's and eKYC provider's server-to-server APIs stand for
	// outside parties' APIs, not saifu's.
	"POST /sandbox/bank/{bank}/token":                "provider API",
	"POST /sandbox/bank/{bank}/revoke":               "provider API",
	"GET /sandbox/bank/{bank}/holder":                "provider API",
	"POST /sandbox/bank/{bank}/debit":                "provider API",
	"POST /sandbox/bank/{bank}/credit":               "provider API",
	"POST /sandbox/card/lookup":                      "provider API",
	"POST /sandbox/card/verifications":               "provider API",
	"POST /sandbox/card/authorizations":              "provider API",
	"GET /sandbox/card/authorizations/{id}":          "provider API",
	"POST /sandbox/card/authorizations/{id}/capture": "provider API",
	"POST /sandbox/card/authorizations/{id}/refund":  "provider API",
	"POST /sandbox/card/authorizations/{id}/void":    "provider API",
	"POST /sandbox/kyc/verify":                       "provider API",
}

// sandboxRoutes reads the routes of internal/sandbox/handler.go (mounted
// under the "/sandbox/" prefix of routes.go in demo mode) that the
// document describes: all but sandboxUndocumented and the catch-all.
func sandboxRoutes(t testing.TB) []route {
	t.Helper()
	b, err := os.ReadFile("../sandbox/handler.go")
	if err != nil {
		t.Fatal(err)
	}
	var routes []route
	seen := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		m := handleRE.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		method, path, ok := strings.Cut(m[1], " ")
		if !ok {
			continue // the catch-all 404
		}
		seen[m[1]] = true
		if _, skip := sandboxUndocumented[m[1]]; skip {
			continue
		}
		r := route{method: method, path: path, pkg: "sandbox"}
		if h := handlerNameRE.FindStringSubmatch(m[2]); h != nil {
			r.handler = h[1]
		}
		routes = append(routes, r)
	}
	for k := range sandboxUndocumented {
		if !seen[k] {
			t.Errorf("sandboxUndocumented names %q, which internal/sandbox/handler.go no longer registers", k)
		}
	}
	if len(routes) < 5 {
		t.Fatalf("found only %d sandbox routes in handler.go: the pattern no longer matches", len(routes))
	}
	return routes
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// TestOpenAPIRoutes: every route of routes.go is an operation of the
// document and vice versa, with the right security and Idempotency-Key,
// path parameters declared, and every $ref resolving.
func TestOpenAPIRoutes(t *testing.T) {
	s := loadSpec(t)
	if v, _ := s.doc["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	paths := obj(s.doc, "paths")
	routes, prefixes := sourceRoutes(t)
	t.Logf("routes.go: %d operations; prefix handlers not described: %v", len(routes), prefixes)
	routes = append(routes, sandboxRoutes(t)...)

	inCode := map[string]bool{}
	for _, r := range routes {
		key := r.method + " " + r.path
		inCode[key] = true
		op := obj(paths[r.path], strings.ToLower(r.method))
		if op == nil {
			t.Errorf("%s: in routes.go, not in %s", key, openAPIPath)
			continue
		}
		// Security: the scheme names of the operation.
		var schemes []string
		if sec, ok := op["security"].([]any); ok {
			for _, req := range sec {
				for name := range req.(map[string]any) {
					schemes = append(schemes, name)
				}
			}
		}
		switch {
		case r.security == "" && len(schemes) > 0:
			t.Errorf("%s: documented with security %v, but the route needs none", key, schemes)
		case r.security != "" && !slices.Equal(schemes, []string{r.security}):
			t.Errorf("%s: security %v, want [%s]", key, schemes, r.security)
		}
		// Parameters: Idempotency-Key exactly where idem wraps; path
		// parameters declared.
		hasIdem, pathParams := false, map[string]bool{}
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			pv, err := s.resolve(p)
			if err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			pm, _ := pv.(map[string]any)
			if pm["in"] == "header" && pm["name"] == "Idempotency-Key" {
				hasIdem = pm["required"] == true
			}
			if pm["in"] == "path" {
				pathParams[fmt.Sprint(pm["name"])] = true
			}
		}
		if hasIdem != r.idem {
			t.Errorf("%s: required Idempotency-Key documented %v, idem(...) in routes.go %v", key, hasIdem, r.idem)
		}
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(r.path, -1) {
			if !pathParams[m[1]] {
				t.Errorf("%s: path parameter %q not declared", key, m[1])
			}
		}
		// Responses: at least one success or redirect; bodies described
		// (JSON, or HTML for the sandbox's pages) unless 204 or 3xx.
		resps := obj(op, "responses")
		ok2xx := false
		for code, rv := range resps {
			if strings.HasPrefix(code, "2") || strings.HasPrefix(code, "3") {
				ok2xx = true
			}
			res, err := s.resolve(rv)
			if err != nil {
				t.Errorf("%s %s: %v", key, code, err)
				continue
			}
			content := obj(res, "content")
			if code != "204" && !strings.HasPrefix(code, "3") &&
				obj(content, "application/json")["schema"] == nil && obj(content, "text/html")["schema"] == nil {
				t.Errorf("%s %s: no application/json (or text/html) schema", key, code)
			}
		}
		if !ok2xx {
			t.Errorf("%s: no success response documented", key)
		}
	}
	for path, item := range paths {
		for _, m := range httpMethods {
			if obj(item, m) != nil && !inCode[strings.ToUpper(m)+" "+path] {
				t.Errorf("%s %s: in %s, not registered in routes.go", strings.ToUpper(m), path, openAPIPath)
			}
		}
	}
	// Every $ref anywhere resolves.
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if _, ok := x["$ref"]; ok {
				if _, err := s.resolve(x); err != nil {
					t.Error(err)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(s.doc)
}

// jsonType names the JSON type of a decoded value (numbers decoded as
// json.Number).
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// validate checks v against schema: type (a name or a list), required
// properties, the documented properties present, additionalProperties,
// array items, enum, const, date-time strings, allOf / oneOf / anyOf.
// Undocumented extra properties are allowed (clients ignore them).
func (s *spec) validate(schema any, v any, at string) []string {
	sv, err := s.resolve(schema)
	if err != nil {
		return []string{at + ": " + err.Error()}
	}
	sc, _ := sv.(map[string]any)
	if sc == nil {
		return nil
	}
	var errs []string
	if all, ok := sc["allOf"].([]any); ok {
		for _, sub := range all {
			errs = append(errs, s.validate(sub, v, at)...)
		}
	}
	for _, kw := range []string{"oneOf", "anyOf"} {
		alts, ok := sc[kw].([]any)
		if !ok {
			continue
		}
		matched := 0
		var first []string
		for _, sub := range alts {
			e := s.validate(sub, v, at)
			if len(e) == 0 {
				matched++
			} else if first == nil {
				first = e
			}
		}
		if matched == 0 || (kw == "oneOf" && matched > 1) {
			errs = append(errs, fmt.Sprintf("%s: %d of the %s alternatives match (first mismatch: %v)", at, matched, kw, first))
		}
	}
	got := jsonType(v)
	if t, ok := sc["type"]; ok {
		var want []string
		switch x := t.(type) {
		case string:
			want = []string{x}
		case []any:
			for _, w := range x {
				want = append(want, fmt.Sprint(w))
			}
		}
		if !slices.Contains(want, got) && !(got == "integer" && slices.Contains(want, "number")) {
			return append(errs, fmt.Sprintf("%s: %s, want %v", at, got, want))
		}
	}
	if enum, ok := sc["enum"].([]any); ok && got == "string" && !slices.Contains(enum, v) {
		errs = append(errs, fmt.Sprintf("%s: %q not in enum %v", at, v, enum))
	}
	if c, ok := sc["const"]; ok && got != "null" && fmt.Sprint(c) != fmt.Sprint(v) {
		errs = append(errs, fmt.Sprintf("%s: %v, want const %v", at, v, c))
	}
	if sc["format"] == "date-time" && got == "string" {
		if _, err := time.Parse(time.RFC3339Nano, v.(string)); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %q is not an RFC 3339 date-time", at, v))
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := sc["properties"].(map[string]any)
		if req, ok := sc["required"].([]any); ok {
			for _, r := range req {
				if _, present := x[fmt.Sprint(r)]; !present {
					errs = append(errs, fmt.Sprintf("%s: required property %q missing", at, r))
				}
			}
		}
		for k, val := range x {
			if ps, ok := props[k]; ok {
				errs = append(errs, s.validate(ps, val, at+"."+k)...)
			} else if ap, ok := sc["additionalProperties"].(map[string]any); ok {
				errs = append(errs, s.validate(ap, val, at+"."+k)...)
			} else if sc["additionalProperties"] == false {
				errs = append(errs, fmt.Sprintf("%s: property %q not allowed", at, k))
			}
		}
	case []any:
		if items, ok := sc["items"]; ok {
			for i, it := range x {
				errs = append(errs, s.validate(items, it, at+"["+strconv.Itoa(i)+"]")...)
			}
		}
	}
	return errs
}

// check fails t unless a real response of METHOD tmpl (a path of the
// document, e.g. "/api/v1/payments/{id}") is documented: its status among
// the operation's responses and its body matching that response's schema.
func (s *spec) check(t testing.TB, method, tmpl string, status int, contentType, raw string) {
	t.Helper()
	op := obj(obj(obj(s.doc, "paths"), tmpl), strings.ToLower(method))
	if op == nil {
		t.Errorf("%s %s: not in the document", method, tmpl)
		return
	}
	rv, ok := obj(op, "responses")[strconv.Itoa(status)]
	if !ok {
		t.Errorf("%s %s: status %d not documented (body %s)", method, tmpl, status, raw)
		return
	}
	s.mu.Lock()
	s.hit[fmt.Sprintf("%s %s %d", method, tmpl, status)] = true
	s.mu.Unlock()
	res, err := s.resolve(rv)
	if err != nil {
		t.Error(err)
		return
	}
	if status == http.StatusNoContent {
		if raw != "" {
			t.Errorf("%s %s: 204 with a body %q", method, tmpl, raw)
		}
		return
	}
	if !strings.HasPrefix(contentType, "application/json") {
		t.Errorf("%s %s %d: Content-Type %q", method, tmpl, status, contentType)
	}
	schema := obj(obj(res, "content"), "application/json")["schema"]
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.UseNumber()
	var body any
	if err := dec.Decode(&body); err != nil {
		t.Errorf("%s %s %d: body is not JSON: %v: %q", method, tmpl, status, err, raw)
		return
	}
	for _, e := range s.validate(schema, body, "body") {
		t.Errorf("%s %s %d: %s\n  body: %s", method, tmpl, status, e, raw)
	}
}

// r checks an agent's response and returns it.
func (s *spec) r(t testing.TB, method, tmpl string, r resp) resp {
	t.Helper()
	s.check(t, method, tmpl, r.status, r.header.Get("Content-Type"), strings.TrimSpace(r.raw))
	return r
}

// rawDo sends a request without the agent's conveniences (no
// Idempotency-Key, optional token).
func rawDo(t testing.TB, method, url, token, body string) resp {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	out := resp{status: res.StatusCode, raw: b.String(), header: res.Header}
	json.Unmarshal(b.Bytes(), &out.body)
	return out
}

// TestOpenAPIResponses drives a short real flow on SQLite (identity,
// wallet, merchant, funding, errors) and checks every response against
// the document.
func TestOpenAPIResponses(t *testing.T) {
	s := loadSpec(t)
	t.Run("wallet", func(t *testing.T) {
		e := newWalletEnv(t, storetest.Open(t, store.SQLite, walletSets...), nil)
		base := e.srv.URL
		s.r(t, "GET", "/healthz", e.agent("probe", "").do("GET", "/healthz", nil)).want(t, 200)
		s.r(t, "GET", "/readyz", e.agent("probe", "").do("GET", "/readyz", nil)).want(t, 200)

		// Sign up and verify.
		a := e.agent("openapi", "192.0.2.200")
		addr := "openapi@example.com"
		s.r(t, "POST", "/api/v1/signup", a.do("POST", "/api/v1/signup", map[string]string{"email": addr, "password": pwAlice})).want(t, 202)
		code := find(t, sixDigits, e.mail.wait(t, addr, "verification code", 1).Subject)
		v := s.r(t, "POST", "/api/v1/signup/verify", a.do("POST", "/api/v1/signup/verify", map[string]string{"email": addr, "code": code})).want(t, 200)
		a.token = v.str("session_token")
		uid := v.str("user_id")

		s.r(t, "GET", "/api/v1/me", a.do("GET", "/api/v1/me", nil)).want(t, 200)
		s.r(t, "GET", "/api/v1/sessions", a.do("GET", "/api/v1/sessions", nil)).want(t, 200)
		s.r(t, "GET", "/api/v1/passkeys", a.do("GET", "/api/v1/passkeys", nil)).want(t, 200)
		s.r(t, "POST", "/api/v1/reauth", a.do("POST", "/api/v1/reauth", map[string]string{"password": pwAlice})).want(t, 200)
		s.r(t, "POST", "/api/v1/mfa/totp", a.do("POST", "/api/v1/mfa/totp", nil)).want(t, 200)
		s.r(t, "POST", "/api/v1/kyc", a.do("POST", "/api/v1/kyc", map[string]string{"full_name": "YAMADA TARO", "birth_date": "1990-04-01", "document_token": "sandbox-approve"})).want(t, 200)
		s.r(t, "POST", "/api/v1/login", e.agent("other", "192.0.2.201").do("POST", "/api/v1/login", map[string]string{"email": addr, "password": pwAlice})).want(t, 200)

		// Wallet, a CPM charge, its refund, an MPM payment, a transfer.
		e.fund(uid, 5000, 3000)
		s.r(t, "GET", "/api/v1/wallet", a.do("GET", "/api/v1/wallet", nil)).want(t, 200)
		pc := s.r(t, "POST", "/api/v1/payment-codes", a.post("/api/v1/payment-codes", map[string]any{})).want(t, 201)
		shop, _ := e.merchant("OpenAPI Shop")
		ch := s.r(t, "POST", "/api/v1/merchant/charges", shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": pc.str("code"), "amount": 1200, "order_id": "o-1"})).want(t, 201)
		chargeID := ch.str("charge_id")
		s.r(t, "GET", "/api/v1/merchant/charges/{id}", shop.do("GET", "/api/v1/merchant/charges/"+chargeID, nil)).want(t, 200)
		s.r(t, "POST", "/api/v1/merchant/charges/{id}/refunds", shop.post("/api/v1/merchant/charges/"+chargeID+"/refunds", map[string]any{"amount": 200})).want(t, 201)
		qr := s.r(t, "GET", "/api/v1/merchant/qr", shop.do("GET", "/api/v1/merchant/qr", nil)).want(t, 200)
		s.r(t, "GET", "/api/v1/merchant/charges", shop.do("GET", "/api/v1/merchant/charges?limit=1", nil)).want(t, 200)
		s.r(t, "GET", "/api/v1/merchant/charges", shop.do("GET", "/api/v1/merchant/charges?status=refunded", nil)).want(t, 400, "invalid_request")
		s.r(t, "GET", "/api/v1/merchant/balance", shop.do("GET", "/api/v1/merchant/balance", nil)).want(t, 200)
		s.r(t, "PUT", "/api/v1/merchant/webhook", shop.put("/api/v1/merchant/webhook", map[string]any{"url": "https://shop.example/hooks"}, "openapi-hook")).want(t, 200)
		s.r(t, "PUT", "/api/v1/merchant/webhook", shop.put("/api/v1/merchant/webhook", map[string]any{"url": "http://shop.example/hooks"}, "openapi-hook-2")).want(t, 400, "invalid_request")
		s.r(t, "PUT", "/api/v1/merchant/webhook", shop.put("/api/v1/merchant/webhook", map[string]any{"url": "https://shop.example/other"}, "openapi-hook")).want(t, 422, "idempotency_key_reused")
		s.r(t, "GET", "/api/v1/merchant/balance", rawDo(t, "GET", base+"/api/v1/merchant/balance", a.token, "")).want(t, 401, "unauthenticated")
		pay := s.r(t, "POST", "/api/v1/payments", a.post("/api/v1/payments", map[string]any{"merchant_qr": qr.str("payload"), "amount": 300})).want(t, 201)
		s.r(t, "GET", "/api/v1/payments/{id}", a.do("GET", "/api/v1/payments/"+pay.str("payment_id"), nil)).want(t, 200)
		_, _, bobAddr := e.user(true)
		tr := s.r(t, "POST", "/api/v1/transfers", a.post("/api/v1/transfers", map[string]any{"to_email": bobAddr, "amount": 100, "message": "lunch"})).want(t, 201)
		s.r(t, "GET", "/api/v1/transfers/{id}", a.do("GET", "/api/v1/transfers/"+tr.str("transfer_id"), nil)).want(t, 200)
		s.r(t, "GET", "/api/v1/wallet/transactions", a.do("GET", "/api/v1/wallet/transactions?limit=2", nil)).want(t, 200)
		s.r(t, "GET", "/api/v1/notifications", a.do("GET", "/api/v1/notifications", nil)).want(t, 200)

		// Errors, in the contract's shape.
		s.r(t, "GET", "/api/v1/me", rawDo(t, "GET", base+"/api/v1/me", "", "")).want(t, 401, "unauthenticated")
		s.r(t, "POST", "/api/v1/payment-codes", rawDo(t, "POST", base+"/api/v1/payment-codes", a.token, "{}")).want(t, 400, "idempotency_key_required")
		bad := s.r(t, "POST", "/api/v1/transfers", a.post("/api/v1/transfers", map[string]any{"to_email": bobAddr, "amount": 0})).want(t, 400, "invalid_request")
		if f, _ := bad.body["error"].(map[string]any)["fields"].(map[string]any); f["amount"] == nil {
			t.Errorf("invalid amount: no fields.amount in %s", bad.raw)
		}
		// … and in Japanese.
		if f, _ := bad.body["error"].(map[string]any)["fields_ja"].(map[string]any); f["amount"] != "1から1000000までの値を指定してください" {
			t.Errorf("invalid amount: fields_ja.amount in %s", bad.raw)
		}
		s.r(t, "GET", "/api/v1/payments/{id}", a.do("GET", "/api/v1/payments/pay_nope", nil)).want(t, 404, "not_found")
		s.r(t, "POST", "/api/v1/merchant/charges", rawDo(t, "POST", base+"/api/v1/merchant/charges", "sk_wrong", "{}")).want(t, 401)
		s.r(t, "POST", "/api/v1/login", e.agent("x", "192.0.2.202").do("POST", "/api/v1/login", map[string]string{"email": addr, "password": "wrong"})).want(t, 401, "invalid_credentials")

		s.r(t, "POST", "/api/v1/logout", a.do("POST", "/api/v1/logout", nil)).want(t, 204)
	})

	t.Run("funding", func(t *testing.T) {
		e := newFundEnv(t, storetest.Open(t, store.SQLite, fundingSets...), funding.Limits{})
		a, _ := e.user(t, "openapi-bank@example.com", "YAMADA Taro")
		s.r(t, "GET", "/api/v1/bank-links", a.do("GET", "/api/v1/bank-links", nil)).want(t, 200)
		bl := s.r(t, "POST", "/api/v1/bank-links", a.do("POST", "/api/v1/bank-links", map[string]string{"bank_code": "0001"})).want(t, 201)
		back := e.consent(t, bl.str("authorize_url"), "yamada", "yamada-pass-0001", "+819000000001", true)
		cb := s.r(t, "GET", "/api/v1/bank-links/callback", rawDo(t, "GET", back, "", "")).want(t, 200)
		if cb.str("status") != "active" {
			t.Fatalf("callback: %s", cb.raw)
		}
		linkID := bl.str("bank_link_id")
		s.r(t, "GET", "/api/v1/bank-links", a.do("GET", "/api/v1/bank-links", nil)).want(t, 200)
		s.r(t, "GET", "/api/v1/bank-links/{id}", a.do("GET", "/api/v1/bank-links/"+linkID, nil)).want(t, 200)

		// The sandbox's card tokenisation, as an integrator's test calls it.
		tok := `{"number":"4242424242424242","exp_month":12,"exp_year":2031,"cvc":"123"}`
		s.r(t, "POST", "/sandbox/card/tokens", rawDo(t, "POST", e.sandbox+"/sandbox/card/tokens", "", tok)).want(t, 201)
		s.r(t, "POST", "/sandbox/card/tokens", rawDo(t, "POST", e.sandbox+"/sandbox/card/tokens", "", strings.Replace(tok, "4242\"", "4241\"", 1))).want(t, 400, "invalid_number")
		s.r(t, "POST", "/sandbox/card/tokens", rawDo(t, "POST", e.sandbox+"/sandbox/card/tokens", "", `{"number":1}`)).want(t, 400, "invalid_request")
		card := s.r(t, "POST", "/api/v1/cards", a.do("POST", "/api/v1/cards", map[string]string{"card_token": e.cardToken(t, "4242424242424242")})).want(t, 201)
		s.r(t, "GET", "/api/v1/cards", a.do("GET", "/api/v1/cards", nil)).want(t, 200)
		s.r(t, "GET", "/api/v1/cards/{id}", a.do("GET", "/api/v1/cards/"+card.str("card_id"), nil)).want(t, 200)
		top := s.r(t, "POST", "/api/v1/topups", a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "card", "card_id": card.str("card_id")}, "amount": 1000}))
		if top.status != 201 && top.status != 202 {
			t.Fatalf("card top-up: %d %s", top.status, top.raw)
		}
		s.r(t, "GET", "/api/v1/topups/{id}", a.do("GET", "/api/v1/topups/"+top.str("topup_id"), nil)).want(t, 200)
		bt := s.r(t, "POST", "/api/v1/topups", a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": linkID}, "amount": 5000}))
		if bt.status != 201 && bt.status != 202 {
			t.Fatalf("bank top-up: %d %s", bt.status, bt.raw)
		}
		wd := s.r(t, "POST", "/api/v1/withdrawals", a.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": linkID, "amount": 1000}))
		if wd.status != 201 && wd.status != 202 {
			t.Fatalf("withdrawal: %d %s", wd.status, wd.raw)
		}
		s.r(t, "GET", "/api/v1/withdrawals/{id}", a.do("GET", "/api/v1/withdrawals/"+wd.str("withdrawal_id"), nil)).want(t, 200)
		if wd.str("status") == "held" {
			s.r(t, "POST", "/api/v1/withdrawals/{id}/cancel", a.do("POST", "/api/v1/withdrawals/"+wd.str("withdrawal_id")+"/cancel", nil)).want(t, 200)
		}
		s.r(t, "DELETE", "/api/v1/cards/{id}", a.do("DELETE", "/api/v1/cards/"+card.str("card_id"), nil)).want(t, 204)
		s.r(t, "DELETE", "/api/v1/withdrawals/{id}", a.do("DELETE", "/api/v1/withdrawals/nope", nil)).want(t, 404)
		s.r(t, "DELETE", "/api/v1/bank-links/{id}", a.do("DELETE", "/api/v1/bank-links/"+linkID, nil))

		// A challenged card and the issuer's redirect back (3-D Secure).
		ch := s.r(t, "POST", "/api/v1/cards", a.do("POST", "/api/v1/cards", map[string]string{"card_token": e.cardToken(t, "4000000000003220")})).want(t, 201)
		na, _ := ch.body["next_action"].(map[string]any)
		challengeURL, _ := na["url"].(string)
		if p := e.page(t, "GET", challengeURL, nil); p.status != 200 {
			t.Fatalf("challenge page: %d %.300s", p.status, p.body)
		}
		p := e.page(t, "POST", challengeURL, url.Values{"otp": {e.phone.code(t, sandbox.CardholderPhone)}, "action": {"verify"}})
		s.r(t, "GET", "/api/v1/3ds/return", rawDo(t, "GET", p.location, "", "")).want(t, 200)
		s.r(t, "GET", "/api/v1/cards/{id}", a.do("GET", "/api/v1/cards/nope", nil)).want(t, 404, "not_found")
	})

	t.Run("identity", func(t *testing.T) {
		e := newIDEnv(t, storetest.Open(t, store.SQLite, identitySets...), identity.Limits{})
		addr := "openapi-id@example.com"
		a := e.agent("phone", "198.51.100.60")
		a.signup(addr, pwAlice)
		s.r(t, "POST", "/api/v1/signup", a.do("POST", "/api/v1/signup", `{"email":"x@example.com","password":"p","extra":1}`)).want(t, 400, "invalid_request")
		s.r(t, "POST", "/api/v1/login/passkey/begin", e.agent("b", "198.51.100.61").do("POST", "/api/v1/login/passkey/begin", nil)).want(t, 200)
		s.r(t, "POST", "/api/v1/login/passkey/finish", e.agent("b", "198.51.100.61").do("POST", "/api/v1/login/passkey/finish", map[string]any{"ceremony_id": "nope", "credential": map[string]any{"id": "x"}}))
		s.r(t, "POST", "/api/v1/passkeys/begin", a.do("POST", "/api/v1/passkeys/begin", nil)).want(t, 200)
		s.r(t, "POST", "/api/v1/passkeys/finish", a.do("POST", "/api/v1/passkeys/finish", map[string]any{"ceremony_id": "nope", "credential": map[string]any{}}))
		s.r(t, "POST", "/api/v1/reauth/passkey/begin", a.do("POST", "/api/v1/reauth/passkey/begin", nil))
		s.r(t, "DELETE", "/api/v1/passkeys/{id}", a.do("DELETE", "/api/v1/passkeys/nope", nil)).want(t, 404)

		// TOTP: enrol, recovery codes, a login that needs the second factor.
		secret := s.r(t, "POST", "/api/v1/mfa/totp", a.do("POST", "/api/v1/mfa/totp", nil)).want(t, 200).str("secret")
		code, err := totp.Code(secret, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		s.r(t, "POST", "/api/v1/mfa/totp/verify", a.do("POST", "/api/v1/mfa/totp/verify", map[string]string{"code": code})).want(t, 200)
		e.clock.Advance(30 * time.Second)
		s.r(t, "POST", "/api/v1/mfa/recovery-codes", a.do("POST", "/api/v1/mfa/recovery-codes", nil)).want(t, 200)
		b := e.agent("laptop", "198.51.100.62")
		lr := s.r(t, "POST", "/api/v1/login", b.do("POST", "/api/v1/login", map[string]string{"email": addr, "password": pwAlice})).want(t, 200)
		if lr.body["mfa_required"] != true {
			t.Fatalf("login with TOTP: %s", lr.raw)
		}
		code, _ = totp.Code(secret, e.clock.Now())
		b.token = s.r(t, "POST", "/api/v1/login/mfa", b.do("POST", "/api/v1/login/mfa", map[string]string{"mfa_token": lr.str("mfa_token"), "method": "totp", "code": code})).want(t, 200).str("session_token")
		me := s.r(t, "GET", "/api/v1/me", b.do("GET", "/api/v1/me", nil)).want(t, 200)
		bSession, _ := me.body["session"].(map[string]any)["id"].(string)
		s.r(t, "DELETE", "/api/v1/sessions/{id}", a.do("DELETE", "/api/v1/sessions/"+bSession, nil)).want(t, 204)
		s.r(t, "DELETE", "/api/v1/sessions/{id}", a.do("DELETE", "/api/v1/sessions/nope", nil)).want(t, 404)
		s.r(t, "POST", "/api/v1/reauth", a.do("POST", "/api/v1/reauth", map[string]string{"password": pwAlice})).want(t, 401, "mfa_required")
		e.clock.Advance(30 * time.Second)
		code, _ = totp.Code(secret, e.clock.Now())
		s.r(t, "POST", "/api/v1/reauth", a.do("POST", "/api/v1/reauth", map[string]string{"method": "totp", "code": code})).want(t, 200)
		s.r(t, "DELETE", "/api/v1/mfa/totp", a.do("DELETE", "/api/v1/mfa/totp", nil)).want(t, 204)
		s.r(t, "POST", "/api/v1/password/change", a.do("POST", "/api/v1/password/change", map[string]string{"current_password": pwAlice, "new_password": pwNew})).want(t, 200)

		// Password reset by mail.
		s.r(t, "POST", "/api/v1/password/forgot", a.do("POST", "/api/v1/password/forgot", map[string]string{"email": addr})).want(t, 202)
		token := find(t, resetToken, e.mail.wait(t, addr, "Resetting", 1).Body)
		s.r(t, "POST", "/api/v1/password/reset", a.do("POST", "/api/v1/password/reset", map[string]string{"token": token, "new_password": pwAlice + " again"})).want(t, 200)
		s.r(t, "POST", "/api/v1/password/reset", a.do("POST", "/api/v1/password/reset", map[string]string{"token": token, "new_password": pwAlice + " again"}))

		// Address change, its verification and the old address's dispute
		// (last: without a second factor it holds the account).
		a.login(addr, pwAlice+" again").want(t, 200)
		s.r(t, "POST", "/api/v1/reauth", a.do("POST", "/api/v1/reauth", map[string]string{"password": pwAlice + " again"})).want(t, 200)
		newAddr := "openapi-id.new@example.com"
		s.r(t, "POST", "/api/v1/email/change", a.do("POST", "/api/v1/email/change", map[string]string{"new_email": newAddr})).want(t, 202)
		ecode := find(t, sixDigits, e.mail.wait(t, newAddr, "Code to confirm", 1).Subject)
		cancel := find(t, cancelToken, e.mail.wait(t, addr, "change of your email", 1).Body)
		s.r(t, "POST", "/api/v1/email/change/verify", a.do("POST", "/api/v1/email/change/verify", map[string]string{"code": ecode})).want(t, 200)
		s.r(t, "POST", "/api/v1/email/change/cancel", e.agent("old", "198.51.100.63").do("POST", "/api/v1/email/change/cancel", map[string]string{"cancel_code": cancel})).want(t, 200)
		s.r(t, "POST", "/api/v1/email/change/cancel", e.agent("old", "198.51.100.63").do("POST", "/api/v1/email/change/cancel", map[string]string{"cancel_code": cancel})).want(t, 401)
	})

	t.Run("sandbox messages", func(t *testing.T) {
		db := storetest.Open(t, store.SQLite, notify.Migrations)
		mb := notify.NewMailbox(db)
		if err := mb.Send(context.Background(), notify.Message{To: "+819000000001", Channel: "sms", Body: "code 123456"}); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(New(Deps{DB: db, Mailbox: mb}))
		t.Cleanup(srv.Close)
		s.r(t, "GET", "/sandbox/api/messages", rawDo(t, "GET", srv.URL+"/sandbox/api/messages?to=%2B819000000001", "", "")).want(t, 200)
		s.r(t, "GET", "/sandbox/api/messages", rawDo(t, "GET", srv.URL+"/sandbox/api/messages", "", "")).want(t, 400, "invalid_request")
	})

	if testing.Verbose() {
		keys := make([]string, 0, len(s.hit))
		for k := range s.hit {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		t.Logf("checked %d (operation, status) pairs:\n  %s", len(keys), strings.Join(keys, "\n  "))
		var missed []string
		for path, item := range obj(s.doc, "paths") {
			for _, m := range httpMethods {
				if obj(item, m) == nil {
					continue
				}
				prefix := strings.ToUpper(m) + " " + path + " "
				if !slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, prefix) }) {
					missed = append(missed, strings.TrimSpace(prefix))
				}
			}
		}
		slices.Sort(missed)
		t.Logf("operations not exercised: %v", missed)
	}
}

// TestValidateSchema: the checker itself rejects what it must.
func TestValidateSchema(t *testing.T) {
	s := loadSpec(t)
	ref := func(name string) any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	tests := []struct {
		name, schema, body string
		ok                 bool
	}{
		{"error ok", "Error", `{"error":{"code":"not_found","message":"x","request_id":"r"}}`, true},
		{"error without message", "Error", `{"error":{"code":"not_found"}}`, false},
		{"error code a number", "Error", `{"error":{"code":1,"message":"x"}}`, false},
		{"fields not strings", "Error", `{"error":{"code":"c","message":"m","fields":{"a":1}}}`, false},
		{"integer given a fraction", "FlowLimit", `{"per_transaction":1.5,"per_day":1,"per_month":1}`, false},
		{"bad date-time", "Transaction", `{"id":"t","type":"p","ref_id":"r","amount":1,"currency":"JPY","direction":"in","status":"s","counterparty":"c","created_at":"yesterday"}`, false},
		{"enum", "Transaction", `{"id":"t","type":"p","ref_id":"r","amount":1,"currency":"JPY","direction":"up","status":"s","counterparty":"c","created_at":"2026-01-01T00:00:00Z"}`, false},
		{"allOf needs payment_id", "Payment", `{"status":"succeeded","amount":1,"currency":"JPY","money_lite":0,"money":1,"refunded":0,"created_at":"2026-01-01T00:00:00Z"}`, false},
		{"oneOf session", "LoginResult", `{"session_token":"s"}`, true},
		{"oneOf neither", "LoginResult", `{"mfa_required":true}`, false},
		{"nullable", "BankLink", `{"bank_link_id":"b","bank_code":"0001","status":"pending","created_at":"2026-01-01T00:00:00Z","usable_for_withdrawal_at":null}`, true},
		{"array items", "RecoveryCodes", `{"recovery_codes":["a",2]}`, false},
		{"map values", "Wallet", `{"currency":"JPY","money":0,"money_lite":0,"total":0,"kyc_status":"none","limits":{"p2p":{"per_day":1}},"used":{}}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dec := json.NewDecoder(strings.NewReader(tc.body))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			errs := s.validate(ref(tc.schema), v, "body")
			if (len(errs) == 0) != tc.ok {
				t.Fatalf("valid = %v, want %v: %v", len(errs) == 0, tc.ok, errs)
			}
		})
	}
}

// TestParseYAML: the subset parser reads what the document uses.
func TestParseYAML(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"block", "a: 1\nb:\n  c: x y\n  d: 'it''s'\n", `{"a":1,"b":{"c":"x y","d":"it's"}}`},
		{"list", "a:\n  - x\n  - k: 1\n    j: [p, 'q']\n", `{"a":["x",{"j":["p","q"],"k":1}]}`},
		{"list at key indent", "a:\n- 1\n- 2\nb: true\n", `{"a":[1,2],"b":true}`},
		{"flow", "s: {$ref: '#/x', n: null, t: [string, 'null']}\n", `{"s":{"$ref":"#/x","n":null,"t":["string","null"]}}`},
		{"quoted keys and comments", "# c\n'200': \"ok\\n\"\n/p/{id}:\n  x: 1\n", `{"/p/{id}":{"x":1},"200":"ok\n"}`},
		{"bad indentation", "a: 1\n   b: 2\n", ""},
		{"colon in plain", "u: http://x/y\n", `{"u":"http://x/y"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := parseYAML(tc.src)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("want an error, got %v", v)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(v)
			if string(got) != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}
