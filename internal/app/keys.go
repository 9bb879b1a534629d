package app

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/saifu-pay/saifu/internal/store"
)

// SecretKeyBytesMin: the server secret must carry at least 256 bits.
const SecretKeyBytesMin = 32

// ErrShortSecret refuses a server secret shorter than SecretKeyBytesMin.
var ErrShortSecret = fmt.Errorf("%w: --secret-key must be at least %d characters", ErrConfig, SecretKeyBytesMin)

// ErrConfig marks an error of the configuration itself (cmd/saifu answers
// it as a usage error, exit code 2).
var ErrConfig = errors.New("bad configuration")

// keys are the keys derived from the server secret, one per purpose. Data
// at rest depends on the exact labels below: never rename one
// (keys_test.go pins them).
type keys struct {
	passwordPepper []byte // the password hasher's pepper
	identityPepper []byte // HMACs of one-time and recovery codes
	identitySeal   []byte // TOTP seeds at rest
	fundingSeal    []byte // bank tokens at rest
	merchantSeal   []byte // merchants' webhook secrets at rest
	webhooksSeal   []byte // the webhook queue's signing secrets
	idemSeal       []byte // answers kept for Idempotency-Key replays
	opsSeal        []byte // operators' TOTP seeds at rest
	webCSRF        []byte // the browser pages' CSRF tokens
}

func deriveKeys(secret []byte) keys {
	return keys{
		passwordPepper: derive(secret, "saifu/password/pepper"),
		identityPepper: derive(secret, "saifu/identity/pepper"),
		identitySeal:   derive(secret, "saifu/identity/seal"),
		fundingSeal:    derive(secret, "saifu/funding/seal"),
		merchantSeal:   derive(secret, merchantSealLabel),
		webhooksSeal:   derive(secret, "saifu/notify/webhooks"),
		idemSeal:       derive(secret, "saifu/httpapi/idempotency/seal"),
		opsSeal:        derive(secret, "saifu/ops/seal"),
		webCSRF:        derive(secret, "saifu/web/csrf"),
	}
}

// merchantSealLabel derives the key that seals merchants' webhook secrets
// (MerchantSealKey serves `saifu merchant` with it).
const merchantSealLabel = "saifu/merchant/seal"

// derive returns a 32-byte key for one purpose from the server secret
// (HMAC-SHA256 with the purpose as label), so that no two uses share a key.
func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// MerchantSealKey is the key the server seals merchants' webhook secrets
// with, from c's server secret (SecretKey, else DataDir/secret.key,
// generated when absent): `saifu merchant` must seal with the server's.
func MerchantSealKey(c Config, db *store.DB) ([]byte, error) {
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	secret, err := serverSecret(c, db, log)
	if err != nil {
		return nil, err
	}
	return derive(secret, merchantSealLabel), nil
}

// serverSecret returns c.SecretKey or, when it is empty (demo mode,
// development), the key in <DataDir>/secret.key, generated on first start
// with a warning. The key itself is never logged.
func serverSecret(c Config, db *store.DB, log *slog.Logger) ([]byte, error) {
	if c.SecretKey != "" {
		if len(c.SecretKey) < SecretKeyBytesMin {
			return nil, ErrShortSecret
		}
		return []byte(c.SecretKey), nil
	}
	if !c.Demo && db.Dialect != store.SQLite {
		// Several nodes on one PostgreSQL must share one secret: a key
		// generated per node would break every other node's hashes.
		log.Warn("no --secret-key with PostgreSQL: using a per-node key file; every node must share one SAIFU_SECRET_KEY")
	}
	path := filepath.Join(c.DataDir, "secret.key")
	b, err := os.ReadFile(path)
	if err == nil {
		key := strings.TrimSpace(string(b))
		if len(key) < SecretKeyBytesMin {
			return nil, fmt.Errorf("%s: key shorter than %d characters", path, SecretKeyBytesMin)
		}
		return []byte(key), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	key := hex.EncodeToString(raw)
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", c.DataDir, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	log.Warn("no --secret-key: generated a server secret; keep it safe and set SAIFU_SECRET_KEY in production", "path", path)
	return []byte(key), nil
}
