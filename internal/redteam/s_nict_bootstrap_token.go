package redteam

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
)

func init() {
	register(Scenario{
		Name: "nict-notice/made-up-bootstrap-token", Incident: "NICT NOTICE (2019–)",
		Attack: "create an admin operator at /ops/api/bootstrap with a made-up, empty or truncated bootstrap token",
		Run:    runMadeUpBootstrap,
	})
	register(Scenario{
		Name: "nict-notice/reused-bootstrap-token", Incident: "NICT NOTICE (2019–)", Operator: true,
		Attack: "spend the bootstrap token a second time (it leaked from a shell history) to create an admin of the attacker's",
		Run:    runReusedBootstrap,
	})
}

// madeUpTokens are tokens an attacker without one tries: the right
// shape with random bytes, the prefix alone, none, a word.
func madeUpTokens() []string {
	var b [32]byte
	rand.Read(b[:])
	return []string{"opsb_" + base64.RawURLEncoding.EncodeToString(b[:]), "opsb_", "admin", " "}
}

// bootstrapAs tries to create an admin at addr with token; a 201 is a
// breach, every refusal (400, 401, 409, 429) is fine.
func bootstrapAs(ctx context.Context, t *Target, token, addr string) (*Resp, error) {
	return t.NewAgent("bootstrap-attacker").Post(ctx, "/ops/api/bootstrap", map[string]string{
		"token": token, "email": addr, "password": "attacker wants admin " + t.Unique("pw"),
	})
}

func runMadeUpBootstrap(ctx context.Context, t *Target) (Outcome, string, error) {
	var answers []string
	for _, tok := range madeUpTokens() {
		r, err := bootstrapAs(ctx, t, tok, t.Address("attacker-admin"))
		if err != nil {
			return failed(err)
		}
		if r.Status < 300 || r.Str("totp_secret") != "" {
			return breached("the made-up bootstrap token %.12q… created an operator: %s", tok, r)
		}
		if r.Status >= 500 {
			return failed(errorf("bootstrap with a made-up token answered %s", r))
		}
		answers = append(answers, r.String())
	}
	return defended("every made-up token refused: %s", strings.Join(answers, ", "))
}

func runReusedBootstrap(ctx context.Context, t *Target) (Outcome, string, error) {
	crew, err := t.Crew(ctx) // spends the token, if no earlier scenario did
	if err != nil {
		return failed(err)
	}
	addr := t.Address("attacker-admin")
	r, err := bootstrapAs(ctx, t, crew.Token, addr)
	if err != nil {
		return failed(err)
	}
	if r.Status < 300 || r.Str("totp_secret") != "" {
		return breached("the spent bootstrap token made a second admin: %s", r)
	}
	if r.Status >= 500 {
		return failed(errorf("bootstrap with the spent token answered %s", r))
	}
	list, err := crew.Admin.Get(ctx, "/ops/api/operators")
	if err != nil {
		return failed(err)
	}
	if err := want(list, "GET /ops/api/operators", 200); err != nil {
		return failed(err)
	}
	if strings.Contains(string(list.Body), addr) {
		return breached("the operators list holds the attacker's address %s after the refused bootstrap (%s)", addr, r)
	}
	return defended("the spent token answered %s; no operator of the attacker's address exists", r)
}
