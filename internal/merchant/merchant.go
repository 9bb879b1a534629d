// Package merchant keeps saifu's merchants: their identity, their secret
// API keys, their webhook signing secret, their ledger account and the
// EMV merchant id in their QR code.
//
// Promises:
//   - A secret key (sk_ + 256 random bits, base64url) is returned once, by
//     Create or Rotate, and stored only as its SHA-256 hash with a short
//     non-secret prefix for display. Authenticate hashes what it is given,
//     looks the hash up and compares it in constant time.
//   - Rotate makes a new key and retires the others: at once by default,
//     or after a grace period (WithRotateGrace) so that a merchant can roll
//     the key out to its servers without downtime.
//   - The webhook secret (whsec_ + 256 random bits) is returned once by
//     Create, and a new one by SetWebhook, which also sets the endpoint
//     (audited); from then on only the new one signs deliveries
//     (WebhookEndpoint is read at each attempt). saifu needs it again to
//     sign every webhook, so it cannot be
//     hashed: it is sealed (package seal, AES-256-GCM) under the key given
//     to WithSealKey, bound to the merchant id. Without WithSealKey (tests)
//     the key is random and lives only as long as the process; it is never
//     stored in plain text.
//   - A merchant of another caller is not found (apperr.NotFound), never
//     forbidden.
//   - Every merchant has a name that wallets can show from its QR code's
//     ASCII field (EMV tag 59): Create takes it (WithNameEN), keeps an
//     ASCII name, romanises kana, and refuses a name with kanji and no
//     English name, since kanji have no reading without a dictionary.
package merchant

import (
	"crypto/rand"
	"embed"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/seal"
	"github.com/saifu-pay/saifu/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the merchant tables.
var Migrations = store.EmbeddedMigrations("merchant", migrationFiles, "migrations")

// Merchant is a merchant as the rest of saifu sees it. It carries no secret.
type Merchant struct {
	ID    string // "mer_…"
	EMVID string // the merchant id in its QR code
	Name  string
	// NameEN is Name in printable ASCII, at most 25 characters, for the QR
	// code's merchant name (EMV tag 59): given at Create, the name itself
	// when ASCII, or its kana romanised. Empty only for merchants created
	// before it existed.
	NameEN     string
	City       string // for the QR code, ASCII
	MCC        string // ISO 18245 merchant category code
	WebhookURL string // empty: no webhooks
	// LedgerAccountID is the merchant's ledger account; 0 until the wallet
	// sets it.
	LedgerAccountID int64
	Status          string // "active"
	CreatedAt       time.Time
	// KeyPrefix is the display prefix of the key that authenticated this
	// request (Authenticate) or of the current key (Get).
	KeyPrefix string
}

// Defaults for the QR code until the merchant gives its own.
const (
	DefaultCity  = "TOKYO"
	DefaultMCC   = "5999" // miscellaneous and specialty retail
	statusActive = "active"
)

// Service manages merchants. It is safe for concurrent use.
type Service struct {
	db          *store.DB
	now         func() time.Time
	seal        *seal.Box
	rotateGrace time.Duration
}

// Option configures a Service.
type Option func(*Service)

// WithSealKey seals webhook secrets at rest with AES-256-GCM under key
// (32 bytes). New panics on a key of another length: it is configuration.
func WithSealKey(key []byte) Option {
	return func(s *Service) { s.seal = mustBox(key) }
}

// WithRotateGrace keeps a rotated key working for d after Rotate
// (at most rotateGraceMax). Zero, the default, retires it at once.
func WithRotateGrace(d time.Duration) Option {
	return func(s *Service) { s.rotateGrace = min(max(d, 0), rotateGraceMax) }
}

// rotateGraceMax bounds the grace period of a rotated key: a leaked key
// must not outlive its rotation by more than a day.
const rotateGraceMax = 24 * time.Hour

// New returns the merchant service on db; now is the clock (time.Now in
// production, a fixed clock in tests).
func New(db *store.DB, now func() time.Time, opts ...Option) *Service {
	if now == nil {
		now = time.Now
	}
	s := &Service{db: db, now: now}
	for _, o := range opts {
		o(s)
	}
	if s.seal == nil {
		key := make([]byte, 32)
		rand.Read(key)
		s.seal = mustBox(key)
	}
	return s
}

// mustBox is seal.New for a key from configuration: a key of the wrong
// length is a programming error.
func mustBox(key []byte) *seal.Box {
	b, err := seal.New(key)
	if err != nil {
		panic(fmt.Sprintf("merchant: %v", err))
	}
	return b
}
