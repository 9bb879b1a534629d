package ops

import (
	"context"
	"fmt"
	"slices"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity/emailaddr"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/store"
)

// rolesMax bounds the roles given at once (there are four).
const rolesMax = 4

// Create makes a pending operator with roles, for an admin: the step that
// accepting an invitation will take (the invitee then chooses the
// password; until invitations exist, in-process callers and tests use
// this). The operator is active after its first login with a TOTP code.
// Errors: apperr.Forbidden unless by is an admin; apperr.Invalid for an
// address, password or role list that is refused; apperr.Conflict when
// the address is taken.
func (o *Operators) Create(ctx context.Context, by Session, email, pw string, roles []string) (Enrolment, error) {
	if err := o.require(ctx, by, RoleAdmin, "operator.create"); err != nil {
		return Enrolment{}, err
	}
	if len(roles) == 0 || len(roles) > rolesMax {
		return Enrolment{}, apperr.E(apperr.Invalid, "give one to four roles").JA("ロールを1〜4個指定してください")
	}
	for _, r := range roles {
		if !slices.Contains(Roles, r) {
			return Enrolment{}, apperr.E(apperr.Invalid, fmt.Sprintf("unknown role %q", r)).JA("不明なロールです")
		}
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
	phc, sealed, secret, uri := c.phc, c.sealed, c.secret, c.uri
	roles = slices.Compact(slices.Sorted(slices.Values(roles)))
	err = o.db.Write(ctx, func(tx *store.Tx) error {
		return insertOperator(ctx, tx, id, norm, phc, sealed, roles, by.actor(), o.now())
	})
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{OperatorID: id, TOTPSecret: secret, OTPAuthURI: uri}, nil
}

// credentials are a new operator's password hash and TOTP secret (shown
// once, stored sealed).
type credentials struct {
	phc, sealed, secret, uri string
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
