package merchant

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// CreateOption sets an optional field of a new merchant.
type CreateOption func(*createOptions)

type createOptions struct{ nameEN string }

// WithNameEN gives the merchant's name in printable ASCII (at most 25
// characters) for its QR code, e.g. "YAMADA SHOTEN" for 山田商店. It is
// required when the name has kanji.
func WithNameEN(nameEN string) CreateOption {
	return func(o *createOptions) { o.nameEN = nameEN }
}

// Create makes a merchant and returns it with its first secret key and its
// webhook signing secret. Both secrets are shown only here: keep them.
// A name that is neither ASCII nor kana needs WithNameEN (apperr.Invalid).
func (s *Service) Create(ctx context.Context, name, webhookURL string, opts ...CreateOption) (m Merchant, secretKey, webhookSecret string, err error) {
	var o createOptions
	for _, opt := range opts {
		opt(&o)
	}
	if err := validName(name); err != nil {
		return Merchant{}, "", "", err
	}
	nameEN, err := qrName(name, o.nameEN)
	if err != nil {
		return Merchant{}, "", "", err
	}
	if err := validWebhookURL(webhookURL); err != nil {
		return Merchant{}, "", "", err
	}
	now := s.now()
	m = Merchant{
		ID: newID("mer_"), EMVID: newID("m"), Name: name, NameEN: nameEN, City: DefaultCity, MCC: DefaultMCC,
		WebhookURL: webhookURL, Status: statusActive, CreatedAt: time.UnixMilli(now.UnixMilli()),
	}
	secretKey = randomSecret(secretKeyPrefix)
	webhookSecret = randomSecret(webhookSecretPrefix)
	m.KeyPrefix = secretKey[:displayChars]
	sealed, err := s.sealSecret(m.ID, webhookSecret)
	if err != nil {
		return Merchant{}, "", "", err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO merchants (id, emv_id, name, name_en, city, mcc, webhook_url, webhook_secret, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.EMVID, m.Name, m.NameEN, m.City, m.MCC, m.WebhookURL, sealed, m.Status, now.UnixMilli()); err != nil {
			return fmt.Errorf("merchant: insert: %w", err)
		}
		if err := insertKey(ctx, tx, m.ID, secretKey, now); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: "system", Action: "merchant.created", Target: "merchant:" + m.ID,
			Details: "name " + m.Name + ", key " + m.KeyPrefix + "…"})
	})
	if err != nil {
		return Merchant{}, "", "", err
	}
	return m, secretKey, webhookSecret, nil
}

func insertKey(ctx context.Context, tx *store.Tx, merchantID, key string, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO merchant_keys (key_hash, merchant_id, prefix, created_at) VALUES (?, ?, ?, ?)`,
		hashKey(key), merchantID, key[:displayChars], now.UnixMilli()); err != nil {
		return fmt.Errorf("merchant: insert key: %w", err)
	}
	return nil
}

// Rotate makes a new secret key for the merchant and retires every other
// key: at once, or after the grace period of WithRotateGrace (a key that
// already expires sooner keeps its earlier end). It returns the new key,
// shown only here. Unknown merchant: apperr.NotFound.
func (s *Service) Rotate(ctx context.Context, merchantID string) (string, error) {
	key := randomSecret(secretKeyPrefix)
	now := s.now()
	end := now.Add(s.rotateGrace).UnixMilli()
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		// Lock the merchant row first, so that two concurrent rotations
		// serialise and leave exactly one current key.
		res, err := tx.Exec(ctx, `UPDATE merchants SET status = status WHERE id = ?`, merchantID)
		if err != nil {
			return fmt.Errorf("merchant: lock: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("merchant: lock: %w", err)
		} else if n == 0 {
			return errNotFound()
		}
		var q string
		if s.rotateGrace == 0 {
			q = `UPDATE merchant_keys SET revoked_at = ? WHERE merchant_id = ? AND revoked_at IS NULL`
		} else {
			q = `UPDATE merchant_keys SET expires_at = ? WHERE merchant_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`
		}
		args := []any{end, merchantID}
		if s.rotateGrace != 0 {
			args = append(args, end)
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("merchant: retire keys: %w", err)
		}
		if err := insertKey(ctx, tx, merchantID, key, now); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: "system", Action: "merchant.key_rotated", Target: "merchant:" + merchantID,
			Details: fmt.Sprintf("new key %s…, old keys end at %s", key[:displayChars], time.UnixMilli(end).UTC().Format(time.RFC3339))})
	})
	if err != nil {
		return "", err
	}
	return key, nil
}

func errBadKey() error {
	return apperr.E(apperr.Unauthenticated, "invalid or revoked merchant secret key").JA("加盟店のシークレットキーが無効です")
}

// Authenticate returns the merchant whose live secret key is key, or
// apperr.Unauthenticated. The key is hashed before the lookup, and the
// stored hash is compared with the presented one in constant time.
func (s *Service) Authenticate(ctx context.Context, key string) (Merchant, error) {
	if !wellFormedKey(key) {
		return Merchant{}, errBadKey()
	}
	h := hashKey(key)
	nowMs := s.now().UnixMilli()
	var m Merchant
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var (
			stored, merchantID, prefix string
			expires, revoked           sql.NullInt64
		)
		err := tx.QueryRow(ctx, `SELECT key_hash, merchant_id, prefix, expires_at, revoked_at FROM merchant_keys WHERE key_hash = ?`, h).
			Scan(&stored, &merchantID, &prefix, &expires, &revoked)
		if errors.Is(err, store.ErrNoRows) {
			return errBadKey()
		}
		if err != nil {
			return fmt.Errorf("merchant: look up key: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(stored), []byte(h)) != 1 || revoked.Valid || (expires.Valid && expires.Int64 <= nowMs) {
			return errBadKey()
		}
		m, err = getMerchant(ctx, tx, `m.id = ?`, merchantID)
		if err != nil {
			return err
		}
		if m.Status != statusActive {
			return errBadKey()
		}
		m.KeyPrefix = prefix
		return nil
	})
	return m, err
}

// Get returns the merchant with id, or apperr.NotFound.
func (s *Service) Get(ctx context.Context, id string) (Merchant, error) {
	return s.getBy(ctx, `m.id = ?`, id)
}

// GetByEMVID returns the merchant whose QR code carries emvID (the wallet's
// lookup for a scanned merchant-presented code), or apperr.NotFound.
func (s *Service) GetByEMVID(ctx context.Context, emvID string) (Merchant, error) {
	return s.getBy(ctx, `m.emv_id = ?`, emvID)
}

func (s *Service) getBy(ctx context.Context, where, arg string) (Merchant, error) {
	var m Merchant
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		m, err = getMerchant(ctx, tx, where, arg)
		return err
	})
	return m, err
}

func errNotFound() error {
	return apperr.E(apperr.NotFound, "merchant not found").JA("加盟店が見つかりません")
}

// getMerchant reads one merchant and the display prefix of its current key
// (the one key with no end: Rotate gives every older key one).
func getMerchant(ctx context.Context, tx *store.Tx, where, arg string) (Merchant, error) {
	var (
		m       Merchant
		ledger  sql.NullInt64
		created int64
		prefix  sql.NullString
	)
	err := tx.QueryRow(ctx, `SELECT m.id, m.emv_id, m.name, m.name_en, m.city, m.mcc, m.webhook_url, m.ledger_account_id, m.status, m.created_at,
		(SELECT k.prefix FROM merchant_keys k WHERE k.merchant_id = m.id AND k.revoked_at IS NULL AND k.expires_at IS NULL LIMIT 1)
		FROM merchants m WHERE `+where, arg).
		Scan(&m.ID, &m.EMVID, &m.Name, &m.NameEN, &m.City, &m.MCC, &m.WebhookURL, &ledger, &m.Status, &created, &prefix)
	if errors.Is(err, store.ErrNoRows) {
		return Merchant{}, errNotFound()
	}
	if err != nil {
		return Merchant{}, fmt.Errorf("merchant: read: %w", err)
	}
	m.LedgerAccountID = ledger.Int64
	m.CreatedAt = time.UnixMilli(created)
	m.KeyPrefix = prefix.String
	return m, nil
}

// SetLedgerAccount records the merchant's ledger account. Setting the same
// account again is a no-op; replacing an account with another is refused
// (apperr.Conflict): money would be split between two accounts.
func (s *Service) SetLedgerAccount(ctx context.Context, merchantID string, accountID int64) error {
	if accountID <= 0 {
		return apperr.E(apperr.Invalid, "ledger account id must be positive").JA("台帳口座IDが正しくありません")
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		m, err := getMerchant(ctx, tx, `m.id = ?`, merchantID)
		if err != nil {
			return err
		}
		switch m.LedgerAccountID {
		case accountID:
			return nil
		case 0:
		default:
			return apperr.E(apperr.Conflict, "merchant already has a ledger account").JA("加盟店にはすでに台帳口座があります")
		}
		if _, err := tx.Exec(ctx, `UPDATE merchants SET ledger_account_id = ? WHERE id = ?`, accountID, merchantID); err != nil {
			return fmt.Errorf("merchant: set ledger account: %w", err)
		}
		return nil
	})
}

// WebhookSecret returns the merchant's webhook signing secret, for signing
// deliveries (webhook.Sign in github.com/saifu-pay/saifu/webhook). It is never shown after Create.
func (s *Service) WebhookSecret(ctx context.Context, merchantID string) ([]byte, error) {
	var stored string
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `SELECT webhook_secret FROM merchants WHERE id = ?`, merchantID).Scan(&stored)
		if errors.Is(err, store.ErrNoRows) {
			return errNotFound()
		}
		if err != nil {
			return fmt.Errorf("merchant: read webhook secret: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	secret, err := s.openSecret(merchantID, stored)
	if err != nil {
		return nil, err
	}
	return []byte(secret), nil
}

// FindByName returns the oldest merchant named name, or apperr.NotFound
// (demo mode seeds its merchant once and looks it up on later starts).
func (s *Service) FindByName(ctx context.Context, name string) (Merchant, error) {
	return s.getBy(ctx, `m.id = (SELECT id FROM merchants WHERE name = ? ORDER BY created_at, id LIMIT 1)`, name)
}
