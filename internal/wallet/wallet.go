// Package wallet runs the money flows users and merchants see: balances
// (money and money lite), KYC levels, customer- and merchant-presented code
// payments, refunds, person-to-person transfers, limits, kill switches,
// freezes, history and notifications. It knows nothing of HTTP.
//
// What it promises:
//   - Every movement goes through the ledger in one request (all legs or
//     none), under a ledger idempotency key derived from the movement's id.
//   - Payments draw money lite first, then money, in one ledger request;
//     refunds go back to money lite first (so a refund never turns prepaid
//     value into withdrawable money), then money.
//   - Money lite never moves to another person.
//   - A payment code is used at most once, before it expires, by one
//     merchant; refunds never exceed their payment.
//   - Limits per KYC level, per transaction and per rolling day and month
//     are reserved atomically before the ledger request (ReserveLimitID), so a
//     parallel burst cannot exceed them, and released when it fails.
//   - Every flow asks CheckCapability first: an operator kill switch
//     (package ops) answers apperr.CapabilityDisabled. A frozen user
//     (CheckFrozen) can neither pay, be charged, nor send money
//     (apperr.AccountFrozen).
//   - A P2P transfer the risk rules hold moves nothing until an operator
//     reviews it: its money is a ledger hold for the recipient, posted
//     once on approval, voided on rejection (ReviewTransfer), and a crash
//     at any step is finished by Reconcile from what the row says.
//   - A crash between a movement's ledger request and the update of its
//     row loses nothing: the row holds everything needed to send the same
//     request again under the same key, and Reconcile (a job of internal/app)
//     finishes pending payments, refunds and transfers with the ledger's
//     first outcome.
package wallet

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the wallet's schema (set "wallet"). It must run after
// those of ops and idem, whose tables its migrations 010 and 020 fill with
// the rows the wallet kept before.
var Migrations = store.EmbeddedMigrations("wallet", migrationFiles, "migrations")

// Config configures a Service. Zero values take defaults.
type Config struct {
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
	// Limits per KYC level (default DefaultLimits).
	Limits Limits
	// Currency of every wallet (default "JPY").
	Currency string
	// Merchants, Webhooks: merchant lookups and merchant webhooks
	// (payments and refunds need them).
	Merchants *merchant.Service
	Webhooks  *notify.Webhooks
	// Controls are the operator's kill switches and freezes (default: those
	// of db).
	Controls *ops.Controls
	// Risk decides before every P2P transfer and QR payment (package
	// risk); nil decides nothing. internal/app always sets it.
	Risk risk.Decider
	// KYC is the eKYC provider (POST /api/v1/kyc needs it).
	KYC connector.EKYC
	// PaymentCodeTTL is how long a payment code is valid (default and
	// maximum 5 minutes).
	PaymentCodeTTL time.Duration
	// CoolingOffPaymentCap bounds the merchant payments of a user during a
	// cooling-off period, in total since it began, unless the payment was
	// stepped up with a second factor older than the period (stepup.go;
	// default 10,000 JPY).
	CoolingOffPaymentCap int64
	Log                  *slog.Logger
	// Fault, when set, is called at each fault point (FaultPayment…) with
	// the movement's id; an error stops the flow there as a crash would,
	// leaving its row pending. For crash tests only: nil in production.
	Fault func(point, id string) error
}

// paymentCodeTTLMax: a customer-presented code is valid 5 minutes at most.
const paymentCodeTTLMax = 5 * time.Minute

// Service runs the wallet flows. It is safe for concurrent use.
type Service struct {
	db        *store.DB
	ledger    *ledger.Ledger
	id        *identity.Service
	outbox    *notify.Outbox
	merchants *merchant.Service
	webhooks  *notify.Webhooks
	kyc       connector.EKYC
	ops       *ops.Controls
	risk      risk.Decider
	now       func() time.Time
	limits    Limits
	currency  string
	codeTTL   time.Duration
	coolCap   int64
	log       *slog.Logger
	faultFn   func(point, id string) error
	// commits groups the small writes of the payment path (payment codes
	// issued and claimed, limit reservations, payment rows created and
	// finished, step-up declines) into shared transactions: one commit,
	// an fsync on SQLite, for many concurrent requests.
	commits *store.GroupCommit

	accounts sync.Map // ledger account code → ledger.Account (ids are immutable)
}

// New returns the wallet service.
func New(db *store.DB, l *ledger.Ledger, id *identity.Service, outbox *notify.Outbox, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Currency == "" {
		cfg.Currency = "JPY"
	}
	if cfg.PaymentCodeTTL <= 0 || cfg.PaymentCodeTTL > paymentCodeTTLMax {
		cfg.PaymentCodeTTL = paymentCodeTTLMax
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Controls == nil {
		cfg.Controls = ops.New(db, cfg.Now)
	}
	if cfg.CoolingOffPaymentCap <= 0 {
		cfg.CoolingOffPaymentCap = coolingOffPaymentCapDefault
	}
	return &Service{
		db: db, ledger: l, id: id, outbox: outbox,
		merchants: cfg.Merchants, webhooks: cfg.Webhooks, kyc: cfg.KYC, ops: cfg.Controls, risk: cfg.Risk,
		now: cfg.Now, limits: cfg.Limits.withDefaults(), currency: cfg.Currency,
		codeTTL: cfg.PaymentCodeTTL, coolCap: cfg.CoolingOffPaymentCap, log: cfg.Log, faultFn: cfg.Fault,
		commits: store.NewGroupCommit(db),
	}
}

// Currency is the wallet's currency.
func (s *Service) Currency() string { return s.currency }

// newID returns prefix + 128 random bits in hex.
func newID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

var errNoMerchants = errors.New("wallet: merchant service not configured")

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// background detaches ctx's values from its cancellation: the steps after
// a ledger commit (status, history, notification) must not be skipped
// because the client went away.
func background(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }
