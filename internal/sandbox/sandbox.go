// Package sandbox is saifu's demo and test counterparts of the outside world,
// served over real HTTP under /sandbox/: banks with an OAuth 2.0
// authorization-code + PKCE consent flow (their own login page, a one-time
// code "by SMS" to the holder's phone, a consent page) and a token-protected
// holder/debit/credit API; a card acquirer with tokenisation, 3-D Secure 2
// (frictionless or a challenge page), authorisation, capture and refund; and
// an eKYC provider. It speaks the protocol of the clients in
// internal/connector. It is mounted only by `saifu serve --demo`, never in
// production.
//
// What it promises:
//   - Behaviour like the real thing, failures included: wrong passwords,
//     wrong or expired one-time codes, PKCE mismatches, replayed codes (which
//     also revoke the tokens they produced), insufficient funds, declined
//     cards, refunds above the capture.
//   - All state lives in the database (set "sandbox", SQLite and
//     PostgreSQL) and survives restarts; money moves in one transaction,
//     idempotent by key, and balances never go negative.
//   - Secrets are stored only as SHA-256 hashes (tokens, codes) or bcrypt
//     (passwords); card numbers are never stored nor returned: only brand,
//     last 4 and a keyed fingerprint. No secret is ever logged.
//   - There is no way to link a bank account with an account number and PIN.
//
// Sandbox choices (documented here, as the real services differ):
//   - The acquirer's server API needs no API key: card tokens and
//     authorisation ids are unguessable (≥ 128 bits); connector clients can
//     send a key for a real acquirer.
//   - The 3-D Secure challenge code is sent by SMS to the fixed test
//     cardholder phone CardholderPhone (+819000000009), readable at
//     /sandbox/api/messages?to=+819000000009 as the bank codes are.
//   - OAuth clients need no registration: any client_id of 1–64 [A-Za-z0-9_-]
//     and any absolute http(s) redirect_uri are accepted, and bound to the
//     authorization code; the consent page names the redirect's host.
//   - The authorize pages carry their progress in a hidden, unguessable
//     "flow" field rather than a cookie, so that the flow can be walked with
//     curl.
package sandbox

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
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the sandbox's schema.
var Migrations = store.EmbeddedMigrations("sandbox", migrationFiles, "migrations")

// SMSFunc delivers a text message to a phone number (E.164). The integrator
// connects it to the notify mailbox, so that codes show at
// GET /sandbox/api/messages?to=….
type SMSFunc func(ctx context.Context, to, subject, body string) error

// CardholderPhone is where the 3-D Secure challenge codes of every test card go.
const CardholderPhone = "+819000000009"

// Sandbox is the set of counterparts. Its methods are safe for concurrent use.
type Sandbox struct {
	db    *store.DB
	sms   SMSFunc
	base  string // public base URL, no trailing slash
	log   *slog.Logger
	fpKey []byte // keys the card fingerprints

	mu     sync.RWMutex
	now    func() time.Time
	faults Faults // SetFaults: tests only
}

// New returns the sandbox on db (migrated with Migrations). sms sends the
// one-time codes; publicBaseURL is how browsers reach this server (e.g.
// "http://127.0.0.1:8080"), used in challenge URLs. An empty publicBaseURL
// means "the host the API call came to" (demo mode on an ephemeral port,
// where saifu calls its own sandbox).
func New(db *store.DB, sms SMSFunc, publicBaseURL string, log *slog.Logger) (*Sandbox, error) {
	if db == nil || sms == nil {
		return nil, errors.New("sandbox: db and sms are required")
	}
	if publicBaseURL != "" {
		u, err := url.Parse(publicBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("sandbox: public base URL %q must be an absolute http(s) URL", publicBaseURL)
		}
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Sandbox{db: db, sms: sms, base: strings.TrimRight(publicBaseURL, "/"), log: log, now: time.Now}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key, err := s.secret(ctx, "card_fingerprint_key")
	if err != nil {
		return nil, err
	}
	s.fpKey = key
	return s, nil
}

// SetClock replaces the clock (tests move time instead of sleeping).
func (s *Sandbox) SetClock(now func() time.Time) {
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

func (s *Sandbox) clock() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.now()
}

// secret returns the named random 32-byte secret, creating it on first use.
func (s *Sandbox) secret(ctx context.Context, name string) ([]byte, error) {
	var v string
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO sandbox_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			name, hex.EncodeToString(randBytes(32))); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT value FROM sandbox_secrets WHERE name = ?`, name).Scan(&v)
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: secret %s: %w", name, err)
	}
	return hex.DecodeString(v)
}

// baseURL is the public base URL, or the one r came to when none was set.
func (s *Sandbox) baseURL(r *http.Request) string {
	if s.base != "" {
		return s.base
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go ≥ 1.24)
	return b
}

// randToken returns prefix + base64url of n random bytes.
func randToken(prefix string, n int) string {
	return prefix + base64.RawURLEncoding.EncodeToString(randBytes(n))
}

// hashSecret is how tokens and codes are stored: hex SHA-256.
func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// otpCode returns a uniformly random 6-digit code.
func otpCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand never fails
	}
	return fmt.Sprintf("%06d", n.Int64())
}

func ms(t time.Time) int64 { return t.UnixMilli() }
