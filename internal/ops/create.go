package ops

import (
	"context"
	"fmt"
	"slices"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity/emailaddr"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
)

// rolesMax bounds the roles given at once (there are four).
const rolesMax = 4

// Create makes a pending operator with roles, for an admin, with the
// password chosen for it: what accepting an invitation does, for
// in-process callers and tests that have no mailbox to read the token
// from. The operator is active after its first login with a TOTP code.
// Errors: apperr.Forbidden unless by is an admin; apperr.Invalid for an
// address, password or role list that is refused; apperr.Conflict when
// the address is taken.
func (o *Operators) Create(ctx context.Context, by Session, email, pw string, roles []string) (Enrolment, error) {
	if err := o.require(ctx, by, RoleAdmin, "operator.create"); err != nil {
		return Enrolment{}, err
	}
	roles, err := checkRoles(roles)
	if err != nil {
		return Enrolment{}, err
	}
	norm, err := emailaddr.Normalize(email)
	if err != nil {
		return Enrolment{}, err
	}
	id := newID("op")
	c, err := o.newCredentials(ctx, id, norm, pw)
	if err != nil {
		return Enrolment{}, err
	}
	err = o.db.Write(ctx, func(tx *store.Tx) error {
		return insertOperator(ctx, tx, newOperator{id: id, email: norm, lang: notify.LangJA, creds: c, roles: roles, by: by.actor()}, o.now())
	})
	if err != nil {
		return Enrolment{}, err
	}
	return c.enrolment(id), nil
}

// checkRoles returns roles sorted, least privilege first, without
// repeats; none (least privilege means no default role), more than
// rolesMax or an unknown one is apperr.Invalid.
func checkRoles(roles []string) ([]string, error) {
	if len(roles) == 0 || len(roles) > rolesMax {
		return nil, apperr.E(apperr.Invalid, "give one to four roles: viewer, support, risk, admin").JA("ロールを1〜4個指定してください (viewer, support, risk, admin)")
	}
	for _, r := range roles {
		if !slices.Contains(Roles, r) {
			return nil, apperr.E(apperr.Invalid, fmt.Sprintf("unknown role %q: the roles are viewer, support, risk, admin", r)).JA("不明なロールです (viewer, support, risk, admin のいずれか)")
		}
	}
	out := slices.Clone(roles)
	slices.SortFunc(out, func(a, b string) int { return slices.Index(Roles, a) - slices.Index(Roles, b) })
	return slices.Compact(out), nil
}

// credentials are a new operator's password hash and TOTP secret (shown
// once, stored sealed).
type credentials struct {
	phc, sealed, secret, uri string
}

// enrolment is what operator id sees of c, once.
func (c credentials) enrolment(id string) Enrolment {
	return Enrolment{OperatorID: id, TOTPSecret: c.secret, OTPAuthURI: c.uri}
}

// newCredentials checks pw against the policy, hashes it and makes the
// TOTP secret of operator id, sealed to that operator.
func (o *Operators) newCredentials(ctx context.Context, id, email, pw string) (credentials, error) {
	if err := password.CheckPolicy(pw, email); err != nil {
		return credentials{}, err
	}
	phc, err := o.hasher.Hash(ctx, pw)
	if err != nil {
		return credentials{}, err
	}
	secret, uri, err := totp.Generate(o.cfg.Issuer, email)
	if err != nil {
		return credentials{}, fmt.Errorf("ops: generate totp: %w", err)
	}
	sealed, err := o.box.Seal([]byte(secret), totpAAD(id))
	if err != nil {
		return credentials{}, fmt.Errorf("ops: seal totp: %w", err)
	}
	return credentials{phc: phc, sealed: sealed, secret: secret, uri: uri}, nil
}
