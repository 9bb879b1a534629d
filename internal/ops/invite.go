package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/identity/emailaddr"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
)

// StatusInvited is the status of an operator invited and not yet enrolled.
const StatusInvited = "invited"

var errBadInvite = apperr.E(apperr.InvalidCredentials, "the invitation token is wrong, used or expired; ask an admin for a new invitation").JA("招待トークンが正しくないか、使用済みまたは期限切れです。管理者に再度の招待を依頼してください")

// Invitation is what an admin sees of an invitation sent: the id the
// operator will have, and until when the token can be used. The token
// itself goes only to the invitee, by mail.
type Invitation struct {
	OperatorID string
	ExpiresAt  time.Time
	// ApprovalID is set instead of OperatorID when the invitation waits
	// for a second admin (KindInvite); ExpiresAt is then the request's.
	ApprovalID string
}

// Invite has an admin invite an operator with roles (given explicitly:
// there is no default role), mailing the invitee a one-time token in
// lang ("ja", "en", or "" for Japanese). The token works
// InviteTTL, once, and is stored only as its hash. Inviting an address
// with an outstanding invitation replaces it (the earlier token stops
// working). An invitation that grants more than the viewer role waits
// for a second admin's approval (KindInvite) whenever another active admin
// exists: then Invitation.ApprovalID is set and nothing is mailed yet.
// Errors, each audited and changing nothing else:
// apperr.Forbidden unless by is an admin; apperr.Invalid for the address,
// the roles or the language; apperr.Conflict when an operator has the address.
func (o *Operators) Invite(ctx context.Context, by Session, email string, roles []string, lang string) (Invitation, error) {
	if err := o.require(ctx, by, RoleAdmin, "operator.invite"); err != nil {
		return Invitation{}, err
	}
	roles, err := checkRoles(roles)
	if err != nil {
		return Invitation{}, o.refuseInvite(ctx, by, "", "roles", err)
	}
	norm, err := emailaddr.Normalize(email)
	if err != nil {
		return Invitation{}, o.refuseInvite(ctx, by, "", "email", err)
	}
	if lang != "" && lang != notify.LangJA && lang != notify.LangEN {
		return Invitation{}, o.refuseInvite(ctx, by, norm, "lang",
			apperr.E(apperr.Invalid, "the language of the mails is ja or en").JA("メールの言語は ja または en です"))
	}
	// More than reading is four-eyes once a second admin can decide it:
	// one admin alone must not mint a second identity that approves its
	// own requests. (With a single active admin — just after the
	// bootstrap — there is nobody else to ask.)
	if slices.ContainsFunc(roles, func(r string) bool { return r != RoleViewer }) {
		var others int64
		err := o.db.QueryRow(ctx, `SELECT COUNT(*) FROM ops_operator_roles r JOIN ops_operators op ON op.id = r.operator_id
			WHERE r.role = ? AND op.status = ? AND op.id <> ?`, RoleAdmin, StatusActive, by.Operator.ID).Scan(&others)
		if err != nil {
			return Invitation{}, fmt.Errorf("ops: count admins: %w", err)
		}
		if others > 0 {
			payload, err := json.Marshal(invitePayload{Email: norm, Roles: roles, Lang: lang})
			if err != nil {
				return Invitation{}, fmt.Errorf("ops: encode invitation: %w", err)
			}
			a, err := o.RequestApproval(ctx, by, KindInvite, emailaddr.Key(norm), payload, "invite "+norm+" as "+strings.Join(roles, ", "))
			if err != nil {
				return Invitation{}, err
			}
			return Invitation{ApprovalID: a.ID, ExpiresAt: a.ExpiresAt}, nil
		}
	}
	var inv Invitation
	err = o.db.Write(ctx, func(tx *store.Tx) (err error) {
		inv, err = o.invite(ctx, tx, by.actor(), by.Operator.Email, norm, roles, lang)
		return err
	})
	if errors.Is(err, errOperatorExists) {
		return Invitation{}, o.refuseInvite(ctx, by, norm, "exists", err)
	}
	if err != nil {
		return Invitation{}, err
	}
	o.outbox.Kick()
	return inv, nil
}

// invite stores an invitation of norm with roles in tx and queues its
// mail; actor and inviter (an address) name who invited.
func (o *Operators) invite(ctx context.Context, tx *store.Tx, actor, inviter, norm string, roles []string, lang string) (Invitation, error) {
	now := o.now()
	inv := Invitation{OperatorID: newID("op"), ExpiresAt: now.Add(o.cfg.InviteTTL)}
	token := randomToken(inviteTokenPrefix)
	key := emailaddr.Key(norm)
	lang = langOrDefault(lang)
	// The invitation row first: it locks the address against a parallel
	// invitation; an acceptance racing with it is stopped by the
	// operators' unique address.
	if _, err := tx.Exec(ctx, `INSERT INTO ops_invites (operator_id, token_hash, email, email_key, roles, lang, invited_by, created_at, expires_at, used_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
		ON CONFLICT (email_key) DO UPDATE SET operator_id = excluded.operator_id, token_hash = excluded.token_hash,
			email = excluded.email, roles = excluded.roles, lang = excluded.lang, invited_by = excluded.invited_by,
			created_at = excluded.created_at, expires_at = excluded.expires_at, used_at = 0`,
		inv.OperatorID, hashToken(token), norm, key, strings.Join(roles, " "), lang, actor, now.UnixMilli(), inv.ExpiresAt.UnixMilli()); err != nil {
		return Invitation{}, fmt.Errorf("ops: store invitation: %w", err)
	}
	var n int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM ops_operators WHERE email_key = ?`, key).Scan(&n); err != nil {
		return Invitation{}, fmt.Errorf("ops: read operator: %w", err)
	}
	if n > 0 {
		return Invitation{}, errOperatorExists
	}
	if err := o.mail(ctx, tx, norm, lang, tmplInvite, map[string]any{
		"Token": token, "Hours": int(o.cfg.InviteTTL / time.Hour), "Expires": inv.ExpiresAt,
		"Roles": strings.Join(roles, ", "), "InvitedBy": inviter,
	}); err != nil {
		return Invitation{}, err
	}
	return inv, audit.Append(ctx, tx, audit.Entry{At: now, Actor: actor, Action: "operator.invited", Target: "operator:" + inv.OperatorID,
		Details: fmt.Sprintf("email=%s roles=%v expires=%s", norm, roles, inv.ExpiresAt.UTC().Format(time.RFC3339))})
}

// KindInvite is the four-eyes kind of an invitation that grants more than
// the viewer role while another admin exists: the invitation is made (and
// mailed) when a second admin approves. The target is the address's key.
const KindInvite = "operator.invite"

type invitePayload struct {
	Email string   `json:"email"`
	Roles []string `json:"roles"`
	Lang  string   `json:"lang"`
}

func (o *Operators) inviteKind() ApprovalKind {
	parse := func(payload json.RawMessage) (invitePayload, error) {
		var p invitePayload
		if !decodePayload(payload, &p) {
			return p, apperr.E(apperr.Invalid, "the payload must be an invitation").JA("招待の内容が正しくありません")
		}
		roles, err := checkRoles(p.Roles)
		p.Roles = roles
		return p, err
	}
	return ApprovalKind{
		Name: KindInvite, RequestRole: RoleAdmin, ApproveRole: RoleAdmin,
		Check: func(ctx context.Context, tx *store.Tx, key string, payload json.RawMessage) (json.RawMessage, error) {
			p, err := parse(payload)
			if err != nil {
				return nil, err
			}
			var n int64
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM ops_operators WHERE email_key = ?`, key).Scan(&n); err != nil {
				return nil, fmt.Errorf("ops: read operator: %w", err)
			}
			if n > 0 {
				return nil, errOperatorExists
			}
			return json.Marshal(p)
		},
		Apply: func(ctx context.Context, tx *store.Tx, a Approval) error {
			p, err := parse(a.Payload)
			if err != nil {
				return err
			}
			requester, err := operatorByID(ctx, tx, a.RequestedBy)
			if err != nil {
				return err
			}
			_, err = o.invite(ctx, tx, "operator:"+a.RequestedBy, requester.Email, p.Email, p.Roles, p.Lang)
			return err
		},
		Applied: func(context.Context, Approval) { o.outbox.Kick() },
	}
}

// refuseInvite audits an admin's refused invitation (why: a reason class)
// and returns refusal.
func (o *Operators) refuseInvite(ctx context.Context, by Session, email, why string, refusal error) error {
	details := "reason=" + why
	if email != "" {
		details += " email=" + email
	}
	now := o.now()
	if err := o.db.Write(ctx, func(tx *store.Tx) error {
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: by.actor(), Action: "operator.invite_refused", Details: details})
	}); err != nil {
		return err
	}
	return refusal
}

// invite is a stored invitation, as AcceptInvite reads it.
type invite struct {
	operatorID, email, lang, by string
	roles                       []string
	expiresAt, usedAt           int64
}

// AcceptInvite spends an invitation's token on the invitee's password
// (the user password policy) and a new TOTP seed, returned once; the
// operator is pending until its first login with a TOTP code. The caller
// is throttled (per address and service-wide) and the token looked up
// before any hash is computed. Of parallel acceptances of one token, one
// wins (a conditional update decides). Errors: apperr.RateLimited;
// apperr.InvalidCredentials for a wrong, used or expired token;
// apperr.Invalid for a password the policy refuses (the token stays
// good); apperr.Conflict when an operator has the address meanwhile. A
// refusal of a real invitation's token is audited; a refused call
// changes nothing else.
func (o *Operators) AcceptInvite(ctx context.Context, token, pw string, c Client) (Enrolment, error) {
	if err := o.throttle(ctx, "ops:invite", "", c); err != nil {
		return Enrolment{}, err
	}
	if !validToken(token, inviteTokenPrefix) || pw == "" || len(pw) > passwordBytesMax {
		if len(pw) > passwordBytesMax {
			return Enrolment{}, apperr.E(apperr.Invalid, "the password is too long").JA("パスワードが長すぎます")
		}
		return Enrolment{}, errBadInvite
	}
	inv, err := o.readInvite(ctx, token)
	if err != nil {
		return Enrolment{}, err
	}
	now := o.now()
	switch {
	case inv.usedAt != 0:
		return Enrolment{}, o.refuseAccept(ctx, inv, "used", c, errBadInvite)
	case now.UnixMilli() >= inv.expiresAt:
		return Enrolment{}, o.refuseAccept(ctx, inv, "expired", c, errBadInvite)
	}
	creds, err := o.newCredentials(ctx, inv.operatorID, inv.email, pw)
	if apperr.CodeOf(err) == apperr.Invalid {
		return Enrolment{}, o.refuseAccept(ctx, inv, "password_policy", c, err)
	}
	if err != nil {
		return Enrolment{}, err
	}
	now = o.now()
	err = o.db.Write(ctx, func(tx *store.Tx) error {
		// The conditional update decides: of parallel uses, one spends it.
		res, err := tx.Exec(ctx, `UPDATE ops_invites SET used_at = ? WHERE token_hash = ? AND used_at = 0 AND expires_at > ?`,
			now.UnixMilli(), hashToken(token), now.UnixMilli())
		if err != nil {
			return fmt.Errorf("ops: spend invitation: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errBadInvite
		}
		if err := insertOperator(ctx, tx, newOperator{id: inv.operatorID, email: inv.email, lang: inv.lang, creds: creds,
			roles: inv.roles, by: inv.by}, now); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: "operator:" + inv.operatorID, Action: "operator.invite_accepted",
			Target: "operator:" + inv.operatorID, IP: c.IP, UserAgent: c.userAgent(), Details: "invited_by=" + inv.by})
	})
	switch {
	case errors.Is(err, errBadInvite):
		return Enrolment{}, o.refuseAccept(ctx, inv, "used", c, err) // spent or replaced meanwhile
	case errors.Is(err, errOperatorExists):
		return Enrolment{}, o.refuseAccept(ctx, inv, "exists", c, err)
	case err != nil:
		return Enrolment{}, err
	}
	return creds.enrolment(inv.operatorID), nil
}

// readInvite reads the invitation of token; a token of none is
// errBadInvite (counted by the throttle, not audited: the log must not
// grow with every guess).
func (o *Operators) readInvite(ctx context.Context, token string) (invite, error) {
	var inv invite
	var roles string
	err := o.db.QueryRow(ctx, `SELECT operator_id, email, roles, lang, invited_by, expires_at, used_at FROM ops_invites WHERE token_hash = ?`,
		hashToken(token)).Scan(&inv.operatorID, &inv.email, &roles, &inv.lang, &inv.by, &inv.expiresAt, &inv.usedAt)
	if errors.Is(err, store.ErrNoRows) {
		return invite{}, errBadInvite
	}
	if err != nil {
		return invite{}, fmt.Errorf("ops: read invitation: %w", err)
	}
	inv.roles = strings.Fields(roles)
	return inv, nil
}

// refuseAccept audits a refused acceptance of a real invitation (why: a
// reason class, never the password) and returns refusal.
func (o *Operators) refuseAccept(ctx context.Context, inv invite, why string, c Client, refusal error) error {
	now := o.now()
	if err := o.db.Write(ctx, func(tx *store.Tx) error {
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: actorAnonymous, Action: "operator.invite_accept_refused",
			Target: "operator:" + inv.operatorID, IP: c.IP, UserAgent: c.userAgent(), Details: "reason=" + why})
	}); err != nil {
		return err
	}
	return refusal
}
