package httpapi

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIExamples: every JSON request body of an operation or a webhook
// has an example, and every example of a request or a response matches its
// schema (the linter checks them too; this runs without npm).
func TestOpenAPIExamples(t *testing.T) {
	s := loadSpec(t)
	type opAt struct {
		key string
		op  map[string]any
	}
	var ops []opAt
	for _, section := range []string{"paths", "webhooks"} {
		for name, item := range obj(s.doc, section) {
			for _, m := range httpMethods {
				if op := obj(item, m); op != nil {
					ops = append(ops, opAt{strings.ToUpper(m) + " " + name, op})
				}
			}
		}
	}
	if len(ops) < 10 {
		t.Fatalf("found only %d operations", len(ops))
	}
	slices.SortFunc(ops, func(a, b opAt) int { return strings.Compare(a.key, b.key) })
	checked := 0
	checkMedia := func(where string, content map[string]any, needExample bool) {
		for mt, mv := range content {
			media, _ := mv.(map[string]any)
			ex, has := media["example"]
			if !has {
				if needExample && mt == "application/json" {
					t.Errorf("%s %s: no example", where, mt)
				}
				continue
			}
			raw, err := json.Marshal(ex)
			if err != nil {
				t.Errorf("%s %s: example: %v", where, mt, err)
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			for _, e := range s.validate(media["schema"], v, "example") {
				t.Errorf("%s %s: %s\n  example: %s", where, mt, e, raw)
			}
			checked++
		}
	}
	for _, o := range ops {
		if o.op["requestBody"] != nil {
			rb, err := s.resolve(o.op["requestBody"])
			if err != nil {
				t.Errorf("%s: %v", o.key, err)
				continue
			}
			checkMedia(o.key+" request", obj(rb, "content"), true)
		}
		for code, rv := range obj(o.op, "responses") {
			res, err := s.resolve(rv)
			if err != nil {
				t.Errorf("%s %s: %v", o.key, code, err)
				continue
			}
			checkMedia(o.key+" "+code, obj(res, "content"), false)
		}
	}
	t.Logf("%d examples checked", checked)
}
