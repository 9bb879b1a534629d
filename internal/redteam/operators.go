package redteam

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"sync"
	"time"

	"github.com/pquerna/otp/totp"
)

// inviteTokenRE finds the token of an operator invitation mail.
var inviteTokenRE = regexp.MustCompile(`(opsi_[A-Za-z0-9_-]{20,})`)

// opsCred is one operator the red team made: what it needs to act as it.
type opsCred struct {
	ID, Email, Password, Secret string
	// Session is the operator's session token; LoginCode the TOTP code
	// it was opened with (spent: a second login with it must fail).
	Session, LoginCode string
}

// opsCrew is the run's operators, made once through the operator API
// with the run's bootstrap token (Config.OpsBootstrapToken) by the first
// scenario that needs them, and shared by the run's later scenarios: the
// token works once, and operator logins are throttled per address.
type opsCrew struct {
	mu    sync.Mutex
	made  bool
	err   error
	token string
	// Admin is the bootstrapped admin; Viewer an operator it invited
	// with the viewer role only, Risk one with the risk role.
	Admin, Viewer, Risk opsCred
}

// Crew is the run's operators as one scenario acts with them: agents
// whose requests count against this scenario.
type Crew struct {
	Admin, Viewer, Risk *Agent
	AdminCred           opsCred
	ViewerCred          opsCred
	// Token is the bootstrap token the admin was made with (spent).
	Token string
}

// Crew returns the run's operators, making them on first use. A run
// without --ops-bootstrap-token has none (Scenario.Operator skips).
func (t *Target) Crew(ctx context.Context) (*Crew, error) {
	c := t.crew
	if c == nil || c.token == "" {
		return nil, fmt.Errorf("no operator: the run has no --ops-bootstrap-token")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.made {
		c.made = true
		c.err = c.make(ctx, t)
	}
	if c.err != nil {
		return nil, fmt.Errorf("making the red team's operators: %w", c.err)
	}
	agent := func(name string, o opsCred) *Agent {
		a := t.NewAgent(name)
		a.Email, a.Password, a.Token = o.Email, o.Password, o.Session
		return a
	}
	return &Crew{Admin: agent("ops-admin", c.Admin), Viewer: agent("ops-viewer", c.Viewer), Risk: agent("ops-risk", c.Risk),
		AdminCred: c.Admin, ViewerCred: c.Viewer, Token: c.token}, nil
}

// make bootstraps the admin, logs it in with a TOTP code, invites the
// viewer (its token read from the sandbox mailbox), and logs that in.
func (c *opsCrew) make(ctx context.Context, t *Target) error {
	a := t.NewAgent("ops-admin")
	c.Admin = opsCred{Email: t.Address("ops-admin"), Password: "redteam operator " + t.Unique("pw") + " staple battery"}
	r, err := a.Post(ctx, "/ops/api/bootstrap", map[string]string{"token": c.token, "email": c.Admin.Email, "password": c.Admin.Password})
	if err != nil {
		return err
	}
	if err := want(r, "POST /ops/api/bootstrap with --ops-bootstrap-token (a token works once and is refused once an admin exists: a second run needs a fresh `saifu serve --demo` and `saifu ops bootstrap`)", 201); err != nil {
		return err
	}
	c.Admin.ID, c.Admin.Secret = r.Str("operator_id"), r.Str("totp_secret")
	if err := opsLogin(ctx, a, &c.Admin); err != nil {
		return err
	}
	a.Token = c.Admin.Session

	if c.Viewer, err = invite(ctx, t, a, "viewer"); err != nil {
		return err
	}
	// A risk operator, invited while the admin is the only one (later
	// invitations beyond viewer are four-eyes).
	c.Risk, err = invite(ctx, t, a, "risk")
	return err
}

// invite has admin a invite an operator with role, accepts the
// invitation from the mailed token, and logs the operator in.
func invite(ctx context.Context, t *Target, a *Agent, role string) (opsCred, error) {
	o := opsCred{Email: t.Address("ops-" + role), Password: "redteam " + role + " " + t.Unique("pw") + " staple battery"}
	before, err := t.Count(ctx, o.Email)
	if err != nil {
		return o, err
	}
	r, err := a.Post(ctx, "/ops/api/operators", map[string]any{"email": o.Email, "roles": []string{role}, "lang": "en"})
	if err != nil {
		return o, err
	}
	if err := want(r, "POST /ops/api/operators (invite a "+role+")", 201); err != nil {
		return o, err
	}
	tok, err := t.WaitFind(ctx, o.Email, before, inviteTokenRE)
	if err != nil {
		return o, fmt.Errorf("the %s's invitation mail: %w", role, err)
	}
	v := t.NewAgent("ops-" + role)
	r, err = v.Post(ctx, "/ops/api/invites/accept", map[string]string{"token": tok, "password": o.Password})
	if err != nil {
		return o, err
	}
	if err := want(r, "POST /ops/api/invites/accept", 200); err != nil {
		return o, err
	}
	o.ID, o.Secret = r.Str("operator_id"), r.Str("totp_secret")
	return o, opsLogin(ctx, v, &o)
}

// opsLogin logs o in with a current code of its TOTP secret and keeps
// the session and the code in o.
func opsLogin(ctx context.Context, a *Agent, o *opsCred) error {
	code, err := totp.GenerateCode(o.Secret, time.Now())
	if err != nil {
		return fmt.Errorf("operator TOTP code: %w", err)
	}
	r, err := a.Post(ctx, "/ops/api/login", map[string]string{"email": o.Email, "password": o.Password, "code": code})
	if err != nil {
		return err
	}
	if err := want(r, "POST /ops/api/login of "+o.Email, 200); err != nil {
		return err
	}
	if o.Session = r.Str("session_token"); o.Session == "" {
		return fmt.Errorf("operator login gave no session_token")
	}
	o.LoginCode = code
	return nil
}

// opsUserID finds a user's id as an operator would, by address.
func opsUserID(ctx context.Context, op *Agent, email string) (string, error) {
	r, err := op.Get(ctx, "/ops/api/users?email="+url.QueryEscape(email))
	if err != nil {
		return "", err
	}
	if err := want(r, "GET /ops/api/users?email=", 200); err != nil {
		return "", err
	}
	id := r.Str("user_id")
	if id == "" {
		return "", fmt.Errorf("GET /ops/api/users gave no user_id")
	}
	return id, nil
}

// setSwitch turns a capability on or off as op.
func setSwitch(ctx context.Context, op *Agent, capability string, on bool, reason string) (*Resp, error) {
	return op.Do(ctx, "PUT", "/ops/api/switches/"+capability, map[string]any{"enabled": on, "reason": reason})
}
