// Package ledger is saifu's double-entry core: every yen lives in an account
// and moves only by an immutable transfer that debits one account and
// credits another of the same currency.
//
// What it promises:
//   - Σ balances per currency is zero; user and merchant accounts never go
//     below zero (posted minus pending debits), system accounts may.
//   - A request is all or nothing, carries an idempotency key scoped to its
//     caller, and has exactly one outcome: a repeat with the same key and the
//     same request returns it (a failure stays a failure), the same key with a
//     different request is refused.
//   - A request is acknowledged only after the database transaction holding
//     it committed (durably: synchronous=FULL on SQLite).
//   - The journal is hash-chained; Verify recomputes everything from it.
//
// Writes go through one committer per process that batches concurrent
// requests into one transaction and locks the journal head once per batch
// (see committer.go for the sketch of costs).
package ledger

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the ledger's schema.
var Migrations = store.EmbeddedMigrations("ledger", migrationFiles, "migrations")

// AccountKind says whose money an account holds.
type AccountKind string

// The account kinds.
const (
	UserMoney     AccountKind = "user_money"      // 資金移動業: may be sent and withdrawn
	UserMoneyLite AccountKind = "user_money_lite" // 前払式支払手段: spent at merchants only
	Merchant      AccountKind = "merchant"
	System        AccountKind = "system" // mirrors the outside world: acquirer, banks, fees, compensation
)

// Account flags.
const (
	// FlagMayGoNegative lets an account's balance fall below zero. Only
	// system accounts carry it.
	FlagMayGoNegative = 1 << 0
)

// Account is a balance holder.
type Account struct {
	ID             int64
	Code           string // unique external reference, e.g. "user:usr_1:money"
	Currency       string
	Kind           AccountKind
	Flags          int64
	Posted         int64 // credits minus debits, posted
	PendingDebits  int64 // reserved by open holds debiting this account
	PendingCredits int64 // promised by open holds crediting this account
	CreatedAt      time.Time
}

// Available is what the account may still spend: posted minus reserved.
func (a Account) Available() int64 { return a.Posted - a.PendingDebits }

// Options configure a Ledger.
type Options struct {
	Log *slog.Logger
	Now func() time.Time
	// BatchSizeMax bounds the requests in one database transaction.
	BatchSizeMax int
	// QueueMax bounds the requests waiting for the committer; beyond it
	// Commit answers apperr.Unavailable at once instead of piling up.
	QueueMax int
	// ObserveBatch, when set, is told of every batch the committer wrote
	// (metrics): how many requests it held, how long its transaction
	// took, and whether it failed. It runs on the committer's goroutine,
	// after the callers have their answers, and must return quickly.
	ObserveBatch func(requests int, took time.Duration, failed bool)
}

// Ledger is the double-entry engine on one database.
type Ledger struct {
	db  *store.DB
	log *slog.Logger
	now func() time.Time

	queue    chan *pending
	batchMax int
	stop     chan struct{}
	done     chan struct{}
	// statsDone closes when keepStatistics has returned.
	statsDone chan struct{}
	closeMu   sync.RWMutex
	closed    bool
	testHook  func(stage string) // crash tests and unit tests only
	observe   func(requests int, took time.Duration, failed bool)

	stmts map[string]*sql.Stmt // SQLite statements; committer goroutine only
}

const (
	batchSizeMaxDefault = 4096
	queueMaxDefault     = 65536
)

// Open starts a ledger on db (already migrated with Migrations).
func Open(db *store.DB, o Options) *Ledger {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BatchSizeMax <= 0 {
		o.BatchSizeMax = batchSizeMaxDefault
	}
	if o.QueueMax <= 0 {
		o.QueueMax = queueMaxDefault
	}
	l := &Ledger{
		db: db, log: o.Log, now: o.Now,
		queue:     make(chan *pending, o.QueueMax),
		batchMax:  o.BatchSizeMax,
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
		statsDone: make(chan struct{}),
		stmts:     map[string]*sql.Stmt{},
		observe:   o.ObserveBatch,
	}
	go l.commitLoop()
	go l.keepStatistics()
	return l
}

// QueueDepth is how many requests wait for the committer now, and
// QueueMax how many may: a depth near the bound means the database
// cannot keep up and Commit will soon answer apperr.Unavailable.
func (l *Ledger) QueueDepth() int { return len(l.queue) }

// QueueMax is the bound of QueueDepth (Options.QueueMax).
func (l *Ledger) QueueMax() int { return cap(l.queue) }

// Close stops accepting requests, commits everything already queued, and
// returns when the committer has flushed.
func (l *Ledger) Close() {
	l.closeMu.Lock()
	if l.closed {
		l.closeMu.Unlock()
		<-l.done
		return
	}
	l.closed = true
	close(l.stop)
	l.closeMu.Unlock()
	<-l.done
	<-l.statsDone
	for _, s := range l.stmts {
		s.Close()
	}
}

var (
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	codeRE     = regexp.MustCompile(`^[A-Za-z0-9_:.\-]{1,128}$`)
)

// CreateAccount creates the account named code, or returns it if it exists
// with the same kind and currency (so callers may call it on every use).
func (l *Ledger) CreateAccount(ctx context.Context, code string, kind AccountKind, currency string) (Account, error) {
	if !codeRE.MatchString(code) {
		return Account{}, apperr.E(apperr.Invalid, "account code must be 1-128 characters of A-Z a-z 0-9 _ : . -")
	}
	if !currencyRE.MatchString(currency) {
		return Account{}, apperr.E(apperr.Invalid, "currency must be three upper-case letters")
	}
	var flags int64
	switch kind {
	case UserMoney, UserMoneyLite, Merchant:
	case System:
		flags = FlagMayGoNegative
	default:
		return Account{}, apperr.E(apperr.Invalid, fmt.Sprintf("unknown account kind %q", kind))
	}
	a, err := l.AccountByCode(ctx, code)
	if err == nil {
		if a.Kind != kind || a.Currency != currency {
			return Account{}, apperr.E(apperr.Conflict, fmt.Sprintf("account %s exists with kind %s and currency %s", code, a.Kind, a.Currency))
		}
		return a, nil
	}
	if apperr.CodeOf(err) != apperr.NotFound {
		return Account{}, err
	}
	err = l.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO ledger_accounts (code, currency, kind, flags, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (code) DO NOTHING`, code, currency, string(kind), flags, l.now().UnixMilli())
		return err
	})
	if err != nil {
		return Account{}, fmt.Errorf("ledger: create account %s: %w", code, err)
	}
	a, err = l.AccountByCode(ctx, code)
	if err != nil {
		return Account{}, err
	}
	if a.Kind != kind || a.Currency != currency {
		return Account{}, apperr.E(apperr.Conflict, fmt.Sprintf("account %s exists with kind %s and currency %s", code, a.Kind, a.Currency))
	}
	return a, nil
}

const accountCols = `id, code, currency, kind, flags, posted, pending_debits, pending_credits, created_at`

func scanAccount(row interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var kind string
	var created int64
	if err := row.Scan(&a.ID, &a.Code, &a.Currency, &kind, &a.Flags, &a.Posted, &a.PendingDebits, &a.PendingCredits, &created); err != nil {
		return Account{}, err
	}
	a.Kind = AccountKind(kind)
	a.CreatedAt = time.UnixMilli(created).UTC()
	return a, nil
}

// Account returns the account with id; apperr.NotFound if there is none.
func (l *Ledger) Account(ctx context.Context, id int64) (Account, error) {
	a, err := scanAccount(l.db.QueryRow(ctx, `SELECT `+accountCols+` FROM ledger_accounts WHERE id = ?`, id))
	if errors.Is(err, store.ErrNoRows) {
		return Account{}, apperr.E(apperr.NotFound, fmt.Sprintf("no account %d", id))
	}
	if err != nil {
		return Account{}, fmt.Errorf("ledger: read account %d: %w", id, err)
	}
	return a, nil
}

// AccountByCode returns the account named code; apperr.NotFound if none.
func (l *Ledger) AccountByCode(ctx context.Context, code string) (Account, error) {
	a, err := scanAccount(l.db.QueryRow(ctx, `SELECT `+accountCols+` FROM ledger_accounts WHERE code = ?`, code))
	if errors.Is(err, store.ErrNoRows) {
		return Account{}, apperr.E(apperr.NotFound, fmt.Sprintf("no account %q", code))
	}
	if err != nil {
		return Account{}, fmt.Errorf("ledger: read account %q: %w", code, err)
	}
	return a, nil
}
