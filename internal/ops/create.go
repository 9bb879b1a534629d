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
	if err := password.CheckPolicy(pw, norm); err != nil {
		return Enrolment{}, err
	}
	phc, err := o.hasher.Hash(ctx, pw)
	if err != nil {
		return Enrolment{}, err
	}
	id := newID("op")
	secret, uri, err := totp.Generate(o.cfg.Issuer, norm)
	if err != nil {
		return Enrolment{}, fmt.Errorf("ops: generate totp: %w", err)
	}
	sealed, err := o.box.Seal([]byte(secret), totpAAD(id))
	if err != nil {
		return Enrolment{}, fmt.Errorf("ops: seal totp: %w", err)
	}
	roles = slices.Compact(slices.Sorted(slices.Values(roles)))
	err = o.db.Write(ctx, func(tx *store.Tx) error {
		return insertOperator(ctx, tx, id, norm, phc, sealed, roles, by.actor(), o.now())
	})
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{OperatorID: id, TOTPSecret: secret, OTPAuthURI: uri}, nil
}
