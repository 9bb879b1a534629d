package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/token"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/webhook"
)

// webhookCalls finds the events the code queues: a call to a function whose
// name mentions "webhook" with a string literal event type followed by a
// map literal payload, e.g.
// s.webhookTx(ctx, tx, m, secret, "charge.succeeded", map[string]any{...}).
// It returns event type → the payload's keys, sorted.
func webhookCalls(src *srcIndex) map[string][]string {
	out := map[string][]string{}
	for _, byName := range src.funcs {
		for _, fs := range byName {
			for _, f := range fs {
				webhookCallsIn(f, out)
			}
		}
	}
	for _, fs := range src.methods {
		for _, f := range fs {
			webhookCallsIn(f, out)
		}
	}
	return out
}

func webhookCallsIn(f *srcFunc, out map[string][]string) {
	ast.Inspect(f.body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		var name string
		switch x := call.Fun.(type) {
		case *ast.Ident:
			name = x.Name
		case *ast.SelectorExpr:
			name = x.Sel.Name
		}
		if !strings.Contains(strings.ToLower(name), "webhook") {
			return true
		}
		for i := 0; i+1 < len(call.Args); i++ {
			lit, ok := call.Args[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			m, ok := call.Args[i+1].(*ast.CompositeLit)
			if !ok {
				continue
			}
			if _, isMap := m.Type.(*ast.MapType); !isMap {
				continue
			}
			event, _ := strconv.Unquote(lit.Value)
			var keys []string
			for _, el := range m.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					if k, ok := kv.Key.(*ast.BasicLit); ok {
						ks, _ := strconv.Unquote(k.Value)
						keys = append(keys, ks)
					}
				}
			}
			slices.Sort(keys)
			out[event] = keys
		}
		return true
	})
}

// webhookSchema returns the body schema of a documented webhook and the
// schema of its data.
func (s *spec) webhookSchema(t *testing.T, event string) (body any, data map[string]any) {
	t.Helper()
	op := obj(obj(s.doc, "webhooks"), event)["post"]
	rb, err := s.resolve(obj(op, "requestBody"))
	if err != nil {
		t.Fatal(err)
	}
	body = obj(obj(obj(rb, "content"), "application/json"), "schema")
	all, _ := body.(map[string]any)["allOf"].([]any)
	for _, part := range all {
		if d := obj(obj(part, "properties"), "data"); d != nil {
			dv, err := s.resolve(d)
			if err != nil {
				t.Fatal(err)
			}
			data, _ = dv.(map[string]any)
		}
	}
	return body, data
}

// TestOpenAPIWebhooks: the webhooks section describes exactly the events
// the code queues, each with the payload keys the code writes, in the
// envelope of notify.Event, signed as package webhook says.
func TestOpenAPIWebhooks(t *testing.T) {
	s := loadSpec(t)
	inCode := webhookCalls(loadSource(t))
	if len(inCode) == 0 {
		t.Fatal("found no webhook event in the source: the pattern no longer matches")
	}
	var docEvents []string
	for ev := range obj(s.doc, "webhooks") {
		docEvents = append(docEvents, ev)
	}
	var codeEvents []string
	for ev := range inCode {
		codeEvents = append(codeEvents, ev)
	}
	slices.Sort(docEvents)
	slices.Sort(codeEvents)
	if !slices.Equal(docEvents, codeEvents) {
		t.Fatalf("webhooks documented %v, queued by the code %v", docEvents, codeEvents)
	}

	env := obj(obj(obj(s.doc, "components"), "schemas"), "WebhookEvent")
	var envKeys, structKeys []string
	for k := range obj(env, "properties") {
		envKeys = append(envKeys, k)
	}
	ty := reflect.TypeOf(notify.Event{})
	for i := range ty.NumField() {
		structKeys = append(structKeys, strings.Split(ty.Field(i).Tag.Get("json"), ",")[0])
	}
	slices.Sort(envKeys)
	slices.Sort(structKeys)
	if !slices.Equal(envKeys, structKeys) {
		t.Errorf("WebhookEvent properties %v, notify.Event sends %v", envKeys, structKeys)
	}
	var enum []string
	for _, v := range obj(obj(env, "properties"), "type")["enum"].([]any) {
		enum = append(enum, v.(string))
	}
	slices.Sort(enum)
	if !slices.Equal(enum, codeEvents) {
		t.Errorf("WebhookEvent type enum %v, events %v", enum, codeEvents)
	}
	sch := obj(obj(obj(s.doc, "components"), "securitySchemes"), "webhookSignature")
	if sch["in"] != "header" || sch["name"] != webhook.Header {
		t.Errorf("securitySchemes.webhookSignature = %v, want the %s header", sch, webhook.Header)
	}
	// The scheme's worked example is what package webhook signs, and
	// verifies; one changed byte of the body or another secret does not.
	ex := obj(sch, "x-example")
	secret, _ := ex["secret"].(string)
	body, _ := ex["body"].(string)
	header, _ := ex["header"].(string)
	ts, err := strconv.ParseInt(fmt.Sprint(ex["timestamp"]), 10, 64)
	if secret == "" || body == "" || header == "" || err != nil {
		t.Fatalf("webhookSignature x-example = %v (%v): want secret, timestamp, body, header", ex, err)
	}
	at := time.Unix(ts, 0)
	if got := webhook.Sign([]byte(secret), at, []byte(body)); got != header {
		t.Errorf("x-example header %q, webhook.Sign gives %q", header, got)
	}
	if err := webhook.Verify([]byte(secret), header, []byte(body), at.Add(time.Minute), webhook.DefaultTolerance); err != nil {
		t.Errorf("x-example does not verify: %v", err)
	}
	if err := webhook.Verify([]byte(secret+"x"), header, []byte(body), at, webhook.DefaultTolerance); err == nil {
		t.Error("x-example verifies with another secret")
	}
	if err := webhook.Verify([]byte(secret), header, []byte(strings.Replace(body, "1200", "1201", 1)), at, webhook.DefaultTolerance); err == nil {
		t.Error("x-example verifies an altered body")
	}
	var exBody map[string]any
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&exBody); err != nil {
		t.Errorf("x-example body: %v", err)
	} else if bodySchema, _ := s.webhookSchema(t, fmt.Sprint(exBody["type"])); bodySchema == nil {
		t.Errorf("x-example body is a %v event, which is not documented", exBody["type"])
	} else {
		for _, e := range s.validate(bodySchema, exBody, "x-example body") {
			t.Error(e)
		}
	}

	for ev, keys := range inCode {
		_, data := s.webhookSchema(t, ev)
		var props, req []string
		for k := range obj(data, "properties") {
			props = append(props, k)
		}
		for _, r := range data["required"].([]any) {
			req = append(req, r.(string))
		}
		slices.Sort(props)
		slices.Sort(req)
		if !slices.Equal(props, keys) || !slices.Equal(req, keys) {
			t.Errorf("%s: data properties %v, required %v; the code sends %v", ev, props, req, keys)
		}
	}
}

// TestOpenAPIWebhookDeliveries: real deliveries of a charge and its refund
// match the documented bodies and headers.
func TestOpenAPIWebhookDeliveries(t *testing.T) {
	s := loadSpec(t)
	db := storetest.Open(t, store.SQLite, walletSets...)
	e := newWalletEnvOpts(t, db, walletOpts{webhooks: true})
	recv := newHookReceiver(t)
	shop, _, whsec := e.merchantHook("Doc Shop", recv.srv.URL+"/hooks")
	recv.mu.Lock()
	recv.secret = []byte(whsec)
	recv.mu.Unlock()
	alice, aliceID, _ := e.user(true)
	e.fund(aliceID, 5000, 0)
	c := alice.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
	ch := shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": c, "amount": 1500, "order_id": "o-9"}).want(t, 201)
	shop.post("/api/v1/merchant/charges/"+ch.str("charge_id")+"/refunds", map[string]any{"amount": 500}).want(t, 201)
	recv.wait(t, 2)

	recv.mu.Lock()
	deliveries := append([]hookDelivery(nil), recv.raw...)
	recv.mu.Unlock()
	seen := map[string]bool{}
	for _, d := range deliveries {
		dec := json.NewDecoder(bytes.NewReader(d.body))
		dec.UseNumber()
		var body map[string]any
		if err := dec.Decode(&body); err != nil {
			t.Fatalf("delivery body: %v: %s", err, d.body)
		}
		ev, _ := body["type"].(string)
		seen[ev] = true
		schema, _ := s.webhookSchema(t, ev)
		if schema == nil {
			t.Errorf("delivered %q, which the document does not describe", ev)
			continue
		}
		for _, e := range s.validate(schema, body, "body") {
			t.Errorf("%s: %s\n  body: %s", ev, e, d.body)
		}
		if got := d.header.Get("Saifu-Event-Id"); got != body["id"] {
			t.Errorf("%s: Saifu-Event-Id %q, body id %v", ev, got, body["id"])
		}
		if n, err := strconv.Atoi(d.header.Get("Saifu-Delivery-Attempt")); err != nil || n < 1 {
			t.Errorf("%s: Saifu-Delivery-Attempt %q", ev, d.header.Get("Saifu-Delivery-Attempt"))
		}
		if d.header.Get(webhook.Header) == "" {
			t.Errorf("%s: no %s header", ev, webhook.Header)
		}
	}
	if !seen["charge.succeeded"] || !seen["refund.succeeded"] {
		t.Fatalf("delivered %v, want charge.succeeded and refund.succeeded", seen)
	}
}
