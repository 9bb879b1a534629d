// Package funding moves money between saifu and the outside world: cards
// (registered with 3-D Secure) that top up money lite, bank accounts
// (linked through the bank's own consent screen) that top up money, and
// withdrawals of money to a linked bank account.
//
// What it promises:
//   - saifu never sees or stores a card number: only the acquirer's token
//     (sealed at rest), brand, last 4 and fingerprint. Card registration is
//     throttled per user, device and IP and capped per account and per card.
//   - A bank account is linked only through OAuth 2.0 + PKCE (S256) at the
//     bank, by a KYC-verified user whose verified name matches the holder's;
//     the bank tokens are sealed at rest; the user and the holder are told.
//   - Every movement is credited at most once: ledger requests carry keys
//     derived from the top-up or withdrawal id, and the counterpart calls
//     carry idempotency keys derived from the same id, so any step can be
//     retried (Reconcile, ReleaseDue) after a crash or an unknown outcome.
//   - Withdrawals take money only (never money lite): the row is written
//     first, then a ledger hold that times out (renewed while the
//     withdrawal waits) reserves the money, the bank is paid, and only
//     then the hold is posted; a bank refusal voids the hold. ReleaseDue
//     finishes a withdrawal a crash left at any step.
//   - Limit reservations are confirmed in the transaction that writes the
//     movement's row and given back in the one that ends it failed; one a
//     crash kept from its row lapses (wallet.ExpireLimits). New destinations, cooling-off
//     periods and new devices hold the withdrawal until release_at; the
//     user may cancel it.
//   - During cooling-off a bank top-up needs a second factor older than the
//     change, and card top-ups always go through 3-D Secure (stepup.go).
//   - Registering a card, starting a bank link and withdrawing need a
//     privileged session: the services take the caller's identity.Session
//     and ask identity about it as stored (Users.RequirePrivileged), so
//     every surface gets the rule and a revoked session is refused.
//
// The package knows nothing of HTTP; internal/httpapi calls it.
package funding

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/seal"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/throttle"
	"github.com/saifu-pay/saifu/internal/wallet"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is funding's schema (set "funding"); it needs the ledger's,
// throttle's and notify's sets.
var Migrations = store.EmbeddedMigrations("funding", migrationFiles, "migrations")

// Wallet is what funding needs from internal/wallet: the user's ledger
// accounts, the system accounts mirroring the outside world, the operator
// kill switches, the limits and the user's notifications.
type Wallet interface {
	Accounts(ctx context.Context, userID string) (money, lite ledger.Account, err error)
	SystemAccount(ctx context.Context, name string) (ledger.Account, error)
	CheckCapability(ctx context.Context, capability string) error
	// CheckFrozen answers apperr.AccountFrozen when an operator froze the user.
	CheckFrozen(ctx context.Context, userID string) error
	// ReserveLimitID reserves a pending limit reservation; the transaction
	// that writes the movement's row confirms it (ConfirmLimit) and the
	// row keeps its id; whoever ends the movement failed gives it back in
	// the transaction that ends it (ReleaseLimitTx), ReleaseLimit only
	// before the row exists.
	ReserveLimitID(ctx context.Context, userID, flow string, amount int64) (string, error)
	ConfirmLimit(ctx context.Context, tx *store.Tx, id string) error
	ReleaseLimitTx(ctx context.Context, tx *store.Tx, id string) error
	ReleaseLimit(ctx context.Context, id string)
	Notify(ctx context.Context, userID, kind string, data map[string]any) error
	Record(ctx context.Context, userID string, t wallet.Transaction) error
}

// Users is what funding needs from internal/identity.
type Users interface {
	User(ctx context.Context, id string) (identity.User, error)
	// RequirePrivileged answers apperr.ReauthRequired unless sess, as
	// stored now (not as the caller holds it), is live and privileged.
	RequirePrivileged(ctx context.Context, sess identity.Session) error
	// Current returns sess as stored now (apperr.Unauthenticated once it
	// ended): the cooling-off and new-device rules read it, never the
	// caller's copy.
	Current(ctx context.Context, sess identity.Session) (identity.Session, error)
	// RiskFeatures is what identity knows of sess's user for a risk
	// decision (identity.Service.RiskFeatures); UserRiskFeatures of a
	// user with no session at hand.
	RiskFeatures(ctx context.Context, sess identity.Session) (risk.Features, error)
	UserRiskFeatures(ctx context.Context, userID string) (risk.Features, error)
	// StepUp answers a decision's step-up for sess
	// (identity.Service.StepUp).
	StepUp(ctx context.Context, d risk.Decision, sess identity.Session) error
}

// Config configures a Service. Zero values take the defaults of Limits.
type Config struct {
	DB       *store.DB
	Ledger   *ledger.Ledger
	Wallet   Wallet
	Users    Users
	Bank     connector.Bank
	Acquirer connector.Acquirer
	Limiter  *throttle.Limiter
	Outbox   *notify.Outbox // SMS to the bank account holder
	// SealKey encrypts card and bank tokens at rest (32 bytes).
	SealKey []byte
	// PublicURL is where browsers reach saifu: the bank redirects to
	// PublicURL/api/v1/bank-links/callback and the issuer's 3-D Secure
	// challenge to PublicURL/api/v1/3ds/return (the web wallet's pages
	// for a Client.Web caller).
	PublicURL string
	// MatchName decides whether a bank holder is the KYC-verified person
	// (namematch.Match).
	MatchName func(kycName, holderKana, holderRomaji string) bool
	Limits    Limits
	Now       func() time.Time
	Log       *slog.Logger
	// Risk decides before every card registration, card and bank top-up,
	// bank link and withdrawal (package risk); nil decides nothing (tests
	// of other things). internal/app always sets it.
	Risk risk.Decider
	// Fault, when set, is called at each fault point (FaultTopup…,
	// FaultWithdrawal…) with the movement's id; an error stops the flow
	// there as a crash would. For crash tests only: nil in production.
	Fault func(point, id string) error
}

// Limits bound the flows. Zero fields take DefaultLimits.
type Limits struct {
	// Card registration attempts per window, per user, device and IP
	// (PayPay 2018: security codes brute-forced by registering cards).
	CardAttemptsUser, CardAttemptsDevice, CardAttemptsIP int
	CardAttemptsWindow                                   time.Duration
	// CardsPerUserMax caps a user's cards; UsersPerCardMax caps the
	// accounts one card (fingerprint) may be registered to.
	CardsPerUserMax, UsersPerCardMax int
	// TopupAmountMax bounds one top-up. (Which top-ups go through 3-D
	// Secure the risk rules say: risk.DefaultRules.)
	TopupAmountMax int64
	// WithdrawalAmountMax bounds one withdrawal (fund-transfer law: one
	// remittance is at most 1,000,000 JPY).
	WithdrawalAmountMax int64
	// LinkAttemptsUser bounds bank-link starts per user and window; a
	// started link must come back within LinkTTL.
	LinkAttemptsUser   int
	LinkAttemptsWindow time.Duration
	LinkTTL            time.Duration
	// LinksPerUserMax caps a user's active links.
	LinksPerUserMax int
	// WithdrawalWait is how long a new link waits before it can receive
	// withdrawals (the SBI Securities lesson).
	WithdrawalWait time.Duration
}

// DefaultLimits are the limits used where Config.Limits leaves a zero.
var DefaultLimits = Limits{
	CardAttemptsUser: 5, CardAttemptsDevice: 5, CardAttemptsIP: 20, CardAttemptsWindow: time.Hour,
	CardsPerUserMax: 5, UsersPerCardMax: 2,
	TopupAmountMax:      1_000_000,
	WithdrawalAmountMax: 1_000_000,
	LinkAttemptsUser:    10, LinkAttemptsWindow: time.Hour, LinkTTL: 15 * time.Minute,
	LinksPerUserMax: 5,
	WithdrawalWait:  24 * time.Hour,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	pick := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	pick64 := func(v *int64, def int64) {
		if *v <= 0 {
			*v = def
		}
	}
	pickD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	pick(&l.CardAttemptsUser, d.CardAttemptsUser)
	pick(&l.CardAttemptsDevice, d.CardAttemptsDevice)
	pick(&l.CardAttemptsIP, d.CardAttemptsIP)
	pickD(&l.CardAttemptsWindow, d.CardAttemptsWindow)
	pick(&l.CardsPerUserMax, d.CardsPerUserMax)
	pick(&l.UsersPerCardMax, d.UsersPerCardMax)
	pick64(&l.TopupAmountMax, d.TopupAmountMax)
	pick64(&l.WithdrawalAmountMax, d.WithdrawalAmountMax)
	pick(&l.LinkAttemptsUser, d.LinkAttemptsUser)
	pickD(&l.LinkAttemptsWindow, d.LinkAttemptsWindow)
	pickD(&l.LinkTTL, d.LinkTTL)
	pick(&l.LinksPerUserMax, d.LinksPerUserMax)
	pickD(&l.WithdrawalWait, d.WithdrawalWait)
	return l
}

// Service runs the funding flows. Safe for concurrent use.
type Service struct {
	db       *store.DB
	ledger   *ledger.Ledger
	wallet   Wallet
	users    Users
	bank     connector.Bank
	acquirer connector.Acquirer
	limiter  *throttle.Limiter
	outbox   *notify.Outbox
	box      *seal.Box
	public   string
	match    func(kycName, holderKana, holderRomaji string) bool
	lim      Limits
	now      func() time.Time
	log      *slog.Logger
	faultFn  func(point, id string) error
	risk     risk.Decider
}

// New returns the Service.
func New(c Config) (*Service, error) {
	if c.DB == nil || c.Ledger == nil || c.Wallet == nil || c.Users == nil || c.Bank == nil ||
		c.Acquirer == nil || c.Limiter == nil || c.Outbox == nil || c.MatchName == nil {
		return nil, errors.New("funding: db, ledger, wallet, users, bank, acquirer, limiter, outbox and name matcher are required")
	}
	box, err := seal.New(c.SealKey)
	if err != nil {
		return nil, fmt.Errorf("funding: seal key: %w", err)
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("funding: public URL %q must be an absolute http(s) URL", c.PublicURL)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return &Service{
		db: c.DB, ledger: c.Ledger, wallet: c.Wallet, users: c.Users, bank: c.Bank, acquirer: c.Acquirer,
		limiter: c.Limiter, outbox: c.Outbox, box: box, public: strings.TrimRight(c.PublicURL, "/"),
		match: c.MatchName, lim: c.Limits.withDefaults(), now: c.Now, log: c.Log, faultFn: c.Fault, risk: c.Risk,
	}, nil
}

// Client describes the caller of a throttled flow.
type Client struct {
	IP       string
	DeviceID string
	// Web: the person is in the web wallet, so the bank's consent screen
	// and the issuer's challenge send the browser back to its pages
	// (WebBankCallbackPath, WebThreeDSReturnPath) instead of the API's.
	Web bool
}

// The web wallet's return paths (internal/web serves them), beside the
// JSON API's /api/v1/bank-links/callback and /api/v1/3ds/return.
const (
	WebBankCallbackPath  = "/banks/callback"
	WebThreeDSReturnPath = "/cards/return"
)

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// NextAction tells the client what to do before a requires_action object
// can complete: "3ds_challenge" or "redirect" with a URL.
type NextAction struct {
	Type string
	URL  string
}

// newID returns prefix + 128 random bits, base64url.
func newID(prefix string) string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// randSecret returns 256 random bits, base64url.
func randSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// notifyUser tells the user about a movement; a failure is logged, never
// undoes the movement.
func (s *Service) notifyUser(ctx context.Context, userID, kind string, data map[string]any) {
	if err := s.wallet.Notify(ctx, userID, kind, data); err != nil {
		s.log.Warn("funding: notify user", "kind", kind, "err", err)
	}
}

// record writes or updates the movement's line in the user's history
// (one line per top-up or withdrawal, its status kept current); a failure
// is logged, never undoes the movement.
func (s *Service) record(ctx context.Context, userID, typ, refID string, amount int64, direction, status, counterparty string) {
	err := s.wallet.Record(ctx, userID, wallet.Transaction{ID: "txn_" + refID, Type: typ, RefID: refID,
		Amount: amount, Direction: direction, Status: status, Counterparty: counterparty})
	if err != nil {
		s.log.Warn("funding: record history", "ref", refID, "err", err)
	}
}

// The wallet limit flows funding reserves against.
const (
	flowTopup      = "topup"
	flowWithdrawal = "withdrawal"
)
