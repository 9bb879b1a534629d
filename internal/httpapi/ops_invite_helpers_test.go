package httpapi

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// inviteTokenRE finds the token of an invitation mail.
var inviteTokenRE = regexp.MustCompile(`\bopsi_[A-Za-z0-9_-]{43}\b`)

// inviteSubject is in the subject of an English invitation mail.
const inviteSubject = "invited to be a saifu operator"

// invite has admin invite email with roles over the API (201), and
// returns the new operator's id and the token of the invitation mail as
// the invitee's mailbox received it: it carries no link.
func (e *opsEnv) invite(t *testing.T, admin *operator, email string, roles ...string) (id, token string) {
	t.Helper()
	n := 0
	for _, m := range e.mail.all(email) {
		if strings.Contains(m.Subject, inviteSubject) {
			n++
		}
	}
	r := admin.do("POST", "/ops/api/operators", map[string]any{"email": email, "roles": roles, "lang": "en"}).want(t, 201)
	if r.str("status") != "invited" || r.str("operator_id") == "" {
		t.Fatalf("invite: %s", r.raw)
	}
	m := e.mail.wait(t, email, inviteSubject, n+1)
	for _, link := range []string{"://", "http", "www."} {
		if strings.Contains(m.Subject+m.Body, link) {
			t.Errorf("the invitation mail carries %q:\n%s", link, m.Body)
		}
	}
	token = inviteTokenRE.FindString(m.Body)
	if token == "" {
		t.Fatalf("no token in the invitation mail:\n%s", m.Body)
	}
	return r.str("operator_id"), token
}

// accept spends token over the API from a console of its own and returns
// the enrolled operator (not logged in yet).
func (e *opsEnv) accept(t *testing.T, email, token string) *operator {
	t.Helper()
	opSeq++
	op := &operator{agent: e.agent("ops-console", fmt.Sprintf("203.0.113.%d", 20+opSeq%200)), email: email}
	r := op.do("POST", "/ops/api/invites/accept", map[string]string{"token": token, "password": opsTestPassword}).want(t, 200)
	op.id, op.secret = r.str("operator_id"), r.str("totp_secret")
	if op.secret == "" || !strings.HasPrefix(r.str("otpauth_uri"), "otpauth://totp/") {
		t.Fatalf("accept: %s", r.raw)
	}
	return op
}
