package ops

import (
	"context"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// Users is what ops needs of the user side: identity, wallet and funding
// import ops, so ops names what it needs here and internal/app implements
// it on those services.
type Users interface {
	// FindByEmail returns the id of the user with address email,
	// normalised exactly as identity normalises it; apperr.NotFound.
	FindByEmail(ctx context.Context, email string) (string, error)
	// Exists answers apperr.NotFound for an unknown user.
	Exists(ctx context.Context, userID string) error
	// Page is what an operator sees of a user (Frozen left zero: ops
	// fills it); apperr.NotFound.
	Page(ctx context.Context, userID string) (UserPage, error)
	// EndSessions ends every session of the user, and the logins in
	// flight, inside tx, audited with actor and reason.
	EndSessions(ctx context.Context, tx *store.Tx, userID, actor, reason string) error
	// Tell queues a notice to the user (in-app and by mail, in their
	// language, without links) inside tx: NoticeFrozen, NoticeUnfrozen.
	Tell(ctx context.Context, tx *store.Tx, userID, notice string) error
	// Kick wakes the mail outbox after a transaction that told a user.
	Kick()
	// ResolveHold lifts an account hold (identity.ResolveHold), keeping
	// keepEmail, audited with actor and note.
	ResolveHold(ctx context.Context, userID, keepEmail, actor, note string) error
	// CheckLimit validates a limit an operator asks for (apperr.Invalid).
	CheckLimit(l UserLimit) error
	// SetLimit sets the user's limit of l.Flow inside tx, or removes it
	// when l.Reset (the KYC level's limit applies again).
	SetLimit(ctx context.Context, tx *store.Tx, userID string, l UserLimit, actor, reason string) error
	// Compensate pays amount into the user's money from the
	// compensation account, as item userID of compensation
	// compensationID: once, however often it is called (the ledger's
	// idempotency key is the pair), and tells the user the first time.
	Compensate(ctx context.Context, compensationID, userID string, amount int64) error
}

// UserLimit is a limit of one of the user's flows (payment, p2p, topup,
// withdrawal) set by operators in place of the KYC level's, in minor
// units; Reset asks for the level's limit again.
type UserLimit struct {
	Flow           string `json:"flow"`
	PerTransaction int64  `json:"per_transaction"`
	PerDay         int64  `json:"per_day"`
	PerMonth       int64  `json:"per_month"`
	Reset          bool   `json:"reset,omitempty"`
	// UpdatedBy, Reason and UpdatedAt say who set it, why and when (on a
	// user's page).
	UpdatedBy string    `json:"-"`
	Reason    string    `json:"-"`
	UpdatedAt time.Time `json:"-"`
}

// Notices Users.Tell sends.
const (
	NoticeFrozen   = "ops_account_frozen"
	NoticeUnfrozen = "ops_account_unfrozen"
)

// UserPage is a user as an operator sees them: never a secret (no
// password hash, TOTP seed, token or device id).
type UserPage struct {
	ID        string
	Email     string
	Lang      string
	CreatedAt time.Time
	KYC       UserKYC
	// Factors are the user's credentials: the password, an
	// authenticator app, each passkey, with when each was enrolled.
	Factors           []UserFactor
	RecoveryCodesLeft int
	Sessions          []UserSession
	Devices           []UserDevice
	RecentLogins      []UserLogin
	CredentialChanges []UserEvent
	Balances          UserBalances
	// Holds are the user's held withdrawals.
	Holds []UserHold
	// AccountHold is "" or why identity holds the account pending
	// support (an email dispute); CoolingOffUntil when outgoing money
	// is held until after a reset or an email change (zero: none).
	AccountHold     string
	CoolingOffUntil time.Time
	Frozen          FreezeState
	// Limits are the limits operators set for the user, in place of
	// their KYC level's.
	Limits []UserLimit
	// Decisions are the risk engine's latest decisions on the user.
	Decisions []UserDecision
	// Cases are the operators' cases on the user, newest first, without
	// their timelines (ops fills it).
	Cases []Case
}

// UserDecision is one risk decision on the user: what it was about, what
// it said, and the rules that said it.
type UserDecision struct {
	ID      string
	At      time.Time
	Kind    string
	Action  string
	Reasons []ReviewReason
}

// UserKYC is the user's identity verification.
type UserKYC struct {
	Status string // none, pending, verified, rejected
	Name   string
}

// UserFactor is one credential: Kind "password", "totp" or "passkey".
type UserFactor struct {
	Kind       string
	EnrolledAt time.Time // zero when unknown
}

// UserSession is one live session.
type UserSession struct {
	ID                    string
	Factors               []string
	IP, UserAgent         string
	CreatedAt, LastSeenAt time.Time
	ExpiresAt             time.Time
}

// UserDevice is a device the user signed in from.
type UserDevice struct {
	UserAgent                         string
	FirstSeen, LastSeen, RecognisedAt time.Time
}

// UserLogin is one password login attempt on the user's address.
type UserLogin struct {
	At time.Time
	IP string
	OK bool
}

// UserEvent is a credential or account change from the audit log.
type UserEvent struct {
	At     time.Time
	Actor  string
	Action string
	IP     string
	Detail string
}

// UserBalances are the user's available balances, in minor units.
type UserBalances struct {
	Currency         string
	Money, MoneyLite int64
}

// UserHold is a held withdrawal.
type UserHold struct {
	WithdrawalID string
	Amount       int64
	Reason       string
	ReleaseAt    time.Time
	CreatedAt    time.Time
}

func (o *Operators) needUsers() error {
	if o.users == nil {
		return apperr.E(apperr.Unavailable, "the user directory is not configured").JA("ユーザー情報を利用できません")
	}
	return nil
}

// FindUser returns the page of the user with address email, to an
// operator of any role, and audits the read (the address included).
// Errors: apperr.Invalid for a missing address, apperr.NotFound.
func (o *Operators) FindUser(ctx context.Context, s Session, email string) (UserPage, error) {
	if err := o.require(ctx, s, RoleViewer, "user.find"); err != nil {
		return UserPage{}, err
	}
	if err := o.needUsers(); err != nil {
		return UserPage{}, err
	}
	if strings.TrimSpace(email) == "" || len(email) > emailBytesMax {
		return UserPage{}, o.refuse(ctx, s, "user.find", "users", apperr.E(apperr.Invalid, "give the email address").JA("メールアドレスを入力してください"))
	}
	if err := o.auditRead(ctx, s, "user.find", "users", "email="+email); err != nil {
		return UserPage{}, err
	}
	id, err := o.users.FindByEmail(ctx, email)
	if err != nil {
		return UserPage{}, err
	}
	return o.page(ctx, s, id)
}

// emailBytesMax bounds an address looked up (RFC 5321: 254).
const emailBytesMax = 254

// User returns the page of user id, to an operator of any role, and
// audits the read. Errors: apperr.NotFound.
func (o *Operators) User(ctx context.Context, s Session, id string) (UserPage, error) {
	if err := o.require(ctx, s, RoleViewer, "user.read"); err != nil {
		return UserPage{}, err
	}
	if err := o.needUsers(); err != nil {
		return UserPage{}, err
	}
	return o.page(ctx, s, id)
}

func (o *Operators) page(ctx context.Context, s Session, id string) (UserPage, error) {
	if err := o.auditRead(ctx, s, "user.read", id, ""); err != nil {
		return UserPage{}, err
	}
	p, err := o.users.Page(ctx, id)
	if err != nil {
		return UserPage{}, err
	}
	if p.Frozen, err = o.controls.Freeze(ctx, id); err != nil {
		return UserPage{}, err
	}
	names, err := o.operatorEmails(ctx, []string{p.Frozen.UpdatedBy})
	if err != nil {
		return UserPage{}, err
	}
	p.Frozen.UpdatedByEmail = names[p.Frozen.UpdatedBy]
	if p.Cases, err = o.userCases(ctx, id); err != nil {
		return UserPage{}, err
	}
	return p, nil
}

// ResolveHold lifts user id's account hold for an operator with the
// support role (or above), keeping keepEmail (the disputed change's
// previous or new address; see identity.ResolveHold for what support
// checks first), with a reason, audited. Errors: apperr.Forbidden,
// apperr.Invalid (reason, address), apperr.NotFound, apperr.Conflict (no
// hold); each refusal is audited and changes nothing.
func (o *Operators) ResolveHold(ctx context.Context, s Session, id, keepEmail, reason string) error {
	const action = "user.hold_resolve"
	if err := o.require(ctx, s, RoleSupport, action); err != nil {
		return err
	}
	if err := o.needUsers(); err != nil {
		return err
	}
	if err := checkRequiredReason(reason); err != nil {
		return o.refuse(ctx, s, action, id, err)
	}
	if err := o.users.ResolveHold(ctx, id, keepEmail, s.actor(), reason); err != nil {
		return o.refuseUnlessInternal(ctx, s, action, id, err)
	}
	return nil
}
