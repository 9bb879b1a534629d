package redteam

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/pquerna/otp/totp"
)

// NewUser signs up a fresh account on its own device, reading the
// verification code from the sandbox mailbox, and returns that device
// with the account's session. The device keeps the client address
// sources gave the account (see sources).
func (t *Target) NewUser(ctx context.Context, who string) (*Agent, error) {
	return t.newUserVia(ctx, who, t.sources.next())
}

// newUserVia is NewUser on a device whose requests go through tr (nil:
// the target's transport).
func (t *Target) newUserVia(ctx context.Context, who string, tr http.RoundTripper) (*Agent, error) {
	if tr == nil {
		tr = t.transport
	}
	a := t.newAgent(who, tr)
	a.Email, a.Password = t.Address(who), "redteam "+t.Unique("pass")+" horse staple"
	before, err := t.Count(ctx, a.Email)
	if err != nil {
		return nil, err
	}
	r, err := a.Post(ctx, "/api/v1/signup", map[string]string{"email": a.Email, "password": a.Password})
	if err != nil {
		return nil, err
	}
	if err := want(r, "sign-up of "+a.Email, 202); err != nil {
		return nil, fmt.Errorf("%w (a second run within the hour meets the target's per-address sign-up limit: wait, or restart the demo)", err)
	}
	code, err := t.WaitCode(ctx, a.Email, before)
	if err != nil {
		return nil, err
	}
	r, err = a.Post(ctx, "/api/v1/signup/verify", map[string]string{"email": a.Email, "code": code})
	if err != nil {
		return nil, err
	}
	if err := want(r, "sign-up verification", 200); err != nil {
		return nil, err
	}
	if a.Token = r.Str("session_token"); a.Token == "" {
		return nil, fmt.Errorf("sign-up verification gave no session_token")
	}
	return a, nil
}

// Reauth makes the agent's session privileged with its password.
func (a *Agent) Reauth(ctx context.Context) error {
	r, err := a.Post(ctx, "/api/v1/reauth", map[string]string{"password": a.Password})
	if err != nil {
		return err
	}
	return want(r, "re-authentication", 200)
}

// KYC verifies the agent's identity at the sandbox eKYC under name.
func (a *Agent) KYC(ctx context.Context, name string) error {
	r, err := a.Post(ctx, "/api/v1/kyc", map[string]string{"full_name": name, "birth_date": "1990-04-01", "document_token": "sandbox-approve"})
	if err != nil {
		return err
	}
	if err := want(r, "KYC", 200); err != nil {
		return err
	}
	if s := r.Str("kyc_status"); s != "verified" {
		return fmt.Errorf("KYC: kyc_status %q, want verified", s)
	}
	return nil
}

// EnrollTOTP enrolls an authenticator (after re-authenticating) and
// returns its secret.
func (a *Agent) EnrollTOTP(ctx context.Context) (string, error) {
	if err := a.Reauth(ctx); err != nil {
		return "", err
	}
	r, err := a.Post(ctx, "/api/v1/mfa/totp", nil)
	if err != nil {
		return "", err
	}
	if err := want(r, "TOTP enrolment", 200, 201); err != nil {
		return "", err
	}
	secret := r.Str("secret")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		return "", fmt.Errorf("TOTP code: %w", err)
	}
	r, err = a.Post(ctx, "/api/v1/mfa/totp/verify", map[string]string{"code": code})
	if err != nil {
		return "", err
	}
	if err := want(r, "TOTP verification", 200); err != nil {
		return "", err
	}
	return secret, nil
}

// Login logs in with email and password from this device: the response
// as it came (a session, mfa_required, or a refusal).
func (a *Agent) Login(ctx context.Context, email, password string) (*Resp, error) {
	return a.Post(ctx, "/api/v1/login", map[string]string{"email": email, "password": password})
}
