package httpapi

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestOpenAPIRules: every operation of docs/openapi.yaml follows the
// structural rules that a new route must not forget, read off the Go
// source of its handler (openapi_source_test.go) and of routes.go:
//
//   - summary, operationId (unique), tags among the declared tags (the
//     sandbox tag exactly for /sandbox/ paths), and security stated on the
//     operation ([] for a public one);
//   - a request body documented exactly when the handler decodes JSON (or
//     reads a form, for the sandbox's pages), and then 400;
//   - 401 when the route needs a session or a merchant key;
//   - 400, 409 and 422 when idem(...) wraps it (Idempotency-Key missing,
//     in use, reused with another body);
//   - 429 exactly when the handler can reach an apperr.RateLimited;
//   - every status the handler's package writes literally (a success, a
//     redirect, the sandbox's refusals), 500 apart.
//
// The linter in tools/openapi-lint checks the document's form; this test
// checks that it tells what the code does.
func TestOpenAPIRules(t *testing.T) {
	s := loadSpec(t)
	src := loadSource(t)
	routes, _ := sourceRoutes(t)
	routes = append(routes, sandboxRoutes(t)...)

	tags := map[string]bool{}
	for _, tg := range s.doc["tags"].([]any) {
		tm, _ := tg.(map[string]any)
		tags[tm["name"].(string)] = true
		if d, _ := tm["description"].(string); d == "" {
			t.Errorf("tag %v: no description", tm["name"])
		}
	}
	opIDs := map[string]string{}
	for _, r := range routes {
		key := r.method + " " + r.path
		op := obj(obj(obj(s.doc, "paths"), r.path), strings.ToLower(r.method))
		if op == nil {
			continue // TestOpenAPIRoutes reports it
		}
		declared := map[int]bool{}
		for code := range obj(op, "responses") {
			if n, err := strconv.Atoi(code); err == nil {
				declared[n] = true
			}
		}
		need := func(status int, why string) {
			t.Helper()
			if !declared[status] {
				t.Errorf("%s: %s, but %d is not among its responses", key, why, status)
			}
		}

		// Form.
		if sum, _ := op["summary"].(string); strings.TrimSpace(sum) == "" {
			t.Errorf("%s: no summary", key)
		}
		id, _ := op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", key)
		} else if other, dup := opIDs[id]; dup {
			t.Errorf("%s: operationId %q also used by %s", key, id, other)
		}
		opIDs[id] = key
		opTags, _ := op["tags"].([]any)
		if len(opTags) == 0 {
			t.Errorf("%s: no tags", key)
		}
		for _, tg := range opTags {
			if !tags[tg.(string)] {
				t.Errorf("%s: tag %q is not declared in the top-level tags", key, tg)
			}
		}
		if sandbox := strings.HasPrefix(r.path, "/sandbox/"); sandbox != slices.Contains(opTags, any("sandbox")) {
			t.Errorf("%s: tagged %v; the sandbox tag is for /sandbox/ paths, and only for them", key, opTags)
		}
		if _, ok := op["security"]; !ok {
			t.Errorf("%s: no security stated (a public operation says security: [])", key)
		}

		// What the handler does.
		h := src.handler(r.pkg, r.handler)
		if len(h) == 0 {
			t.Errorf("%s: handler %q not found in internal/%s", key, r.handler, r.pkg)
			continue
		}
		rb, err := s.resolve(op["requestBody"])
		if err != nil {
			t.Errorf("%s: %v", key, err)
		}
		content := obj(rb, "content")
		jsonBody := obj(content, "application/json") != nil
		formBody := obj(content, "application/x-www-form-urlencoded") != nil
		switch dec := src.decodesJSON(h); {
		case dec && !jsonBody:
			t.Errorf("%s: %s decodes a JSON body, but no application/json requestBody is documented", key, r.handler)
		case !dec && jsonBody:
			t.Errorf("%s: a JSON requestBody is documented, but %s decodes none", key, r.handler)
		case dec:
			need(400, r.handler+" decodes a JSON body")
		}
		switch form := src.parsesForm(h); {
		case form && !formBody:
			t.Errorf("%s: %s reads a form, but no application/x-www-form-urlencoded requestBody is documented", key, r.handler)
		case !form && formBody:
			t.Errorf("%s: a form requestBody is documented, but %s reads none", key, r.handler)
		}
		if r.security != "" {
			need(401, "it needs "+r.security)
		}
		if r.idem {
			need(400, "idem(...) refuses a missing Idempotency-Key")
			need(409, "idem(...) refuses a key still in use")
			need(422, "idem(...) refuses a key reused with another body")
		}
		switch limited := src.rateLimited(h); {
		case limited:
			need(429, r.handler+" can be refused with rate_limited")
		case declared[429]:
			t.Errorf("%s: 429 documented, but %s reaches no apperr.RateLimited", key, r.handler)
		}
		statuses, unknown := src.literalStatuses(h)
		if len(unknown) > 0 {
			t.Errorf("%s: add %v to httpStatusConst", key, unknown)
		}
		for code := range statuses {
			if code != 500 {
				need(code, r.handler+" writes "+strconv.Itoa(code))
			}
		}
	}
}
