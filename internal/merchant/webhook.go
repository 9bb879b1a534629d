package merchant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/store"
)

// Caller describes who asks for a change, for its audit entry: the
// client address (resolved through trusted proxies by the HTTP layer, ""
// when unknown) and the user agent.
type Caller struct {
	IP        string
	UserAgent string
}

// SetWebhook sets the merchant's webhook endpoint to rawURL and gives it a
// new signing secret, returned here once. The URL is required and must
// pass the same check as at Create (https, http only to a loopback host).
// From the commit on, the new secret signs every delivery, retries of
// events queued before included (the queue reads the endpoint and the
// secret at each attempt, WebhookEndpoint); the old secret signs nothing
// more. The change is an audit entry in the same transaction, and an API
// request's idempotency claim (package idem) is bound to it there, so that
// a retry with the same key replays this answer instead of making another
// secret.
// Errors: apperr.Invalid (bad URL, nothing changed), apperr.NotFound.
func (s *Service) SetWebhook(ctx context.Context, merchantID, rawURL string, by Caller) (secret string, err error) {
	if rawURL == "" {
		return "", apperr.E(apperr.Invalid, "webhook URL required").JA("Webhook の URL を指定してください")
	}
	if err := validWebhookURL(rawURL); err != nil {
		return "", err
	}
	secret = randomSecret(webhookSecretPrefix)
	sealed, err := s.sealSecret(merchantID, secret)
	if err != nil {
		return "", err
	}
	now := s.now()
	claim := idem.From(ctx)
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		// Lock the row first (as Rotate does), so that the URL read for
		// the audit entry is the one this change replaces.
		res, err := tx.Exec(ctx, `UPDATE merchants SET status = status WHERE id = ? AND status = ?`, merchantID, statusActive)
		if err != nil {
			return fmt.Errorf("merchant: lock: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("merchant: lock: %w", err)
		} else if n == 0 {
			return errNotFound()
		}
		var old string
		if err := tx.QueryRow(ctx, `SELECT webhook_url FROM merchants WHERE id = ?`, merchantID).Scan(&old); err != nil {
			return fmt.Errorf("merchant: read webhook: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE merchants SET webhook_url = ?, webhook_secret = ? WHERE id = ?`, rawURL, sealed, merchantID); err != nil {
			return fmt.Errorf("merchant: set webhook: %w", err)
		}
		if err := claim.Bind(ctx, tx, idem.KindWebhookSecret, merchantID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: "merchant:" + merchantID, Action: "merchant.webhook_changed",
			Target: "merchant:" + merchantID, IP: by.IP, UserAgent: by.UserAgent,
			Details: fmt.Sprintf("endpoint %s (was %s), new signing secret", endpointOrigin(rawURL), endpointOrigin(old))})
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// endpointOrigin is what the audit log keeps of a webhook URL: its scheme
// and host. A path or query may carry a token of the merchant's.
func endpointOrigin(raw string) string {
	if raw == "" {
		return "none"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "?"
	}
	return u.Scheme + "://" + u.Host
}

// WebhookEndpoint returns the merchant's current webhook URL ("" when it
// has none) and signing secret, which the webhook queue reads at each
// delivery attempt (notify.Endpoints). Unknown merchant: apperr.NotFound.
func (s *Service) WebhookEndpoint(ctx context.Context, merchantID string) (endpoint string, secret []byte, err error) {
	var stored sql.NullString
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `SELECT webhook_url, webhook_secret FROM merchants WHERE id = ?`, merchantID).Scan(&endpoint, &stored)
		if errors.Is(err, store.ErrNoRows) {
			return errNotFound()
		}
		if err != nil {
			return fmt.Errorf("merchant: read webhook endpoint: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	plain, err := s.openSecret(merchantID, stored.String)
	if err != nil {
		return "", nil, err
	}
	return endpoint, []byte(plain), nil
}
