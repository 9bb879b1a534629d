package funding

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
)

// Top-up statuses (API.md "Conventions", plus processing: the counterpart's
// answer is not known yet and Reconcile will finish it).
const (
	StatusSucceeded      = "succeeded"
	StatusRequiresAction = "requires_action"
	StatusProcessing     = "processing"
	StatusDeclined       = "declined"
	StatusFailed         = "failed"
	// StatusHeld: a bank top-up the risk rules held for a person's review;
	// nothing has moved (ReviewTopup goes on with it or declines it).
	StatusHeld = "held"
)

// Top-up sources.
const (
	SourceCard = "card"
	SourceBank = "bank"
)

// Topup is money coming in: from a card into money lite, from a bank into money.
type Topup struct {
	ID          string
	UserID      string
	SourceType  string
	SourceID    string
	Amount      int64
	Status      string
	DeclineCode string
	NextAction  *NextAction
	CreatedAt   time.Time

	authID, challengeURL string
	transferID           int64
	limitID              string // the limit reservation the top-up holds
	force3DS             int64  // what the authorisation asked: 0, 1; -1 unknown
	decisionID           string // the risk decision that held it (StatusHeld)
	web                  int64  // Client.Web of the request (the challenge's return)
}

const topupCols = `id, user_id, source_type, source_id, amount, status, auth_id, challenge_url, decline_code, transfer_id, created_at, limit_id, auth_force_3ds, web`

func scanTopup(r interface{ Scan(...any) error }) (Topup, error) {
	var t Topup
	var created int64
	err := r.Scan(&t.ID, &t.UserID, &t.SourceType, &t.SourceID, &t.Amount, &t.Status, &t.authID, &t.challengeURL,
		&t.DeclineCode, &t.transferID, &created, &t.limitID, &t.force3DS, &t.web)
	t.CreatedAt = fromMS(created)
	if t.Status == StatusRequiresAction && t.challengeURL != "" {
		t.NextAction = &NextAction{Type: "3ds_challenge", URL: t.challengeURL}
	}
	return t, err
}

// insertTopup records t as processing (or held, when t.Status says so)
// with its limit reservation
// t.limitID, which it confirms in the same transaction (a crash before it
// leaves a pending reservation that lapses, never a lost one).
func (s *Service) insertTopup(ctx context.Context, t Topup) error {
	now := ms(s.now())
	claim := idem.From(ctx)
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		if err := s.wallet.ConfirmLimit(ctx, tx, t.limitID); err != nil {
			return err
		}
		status := t.Status
		if status != StatusHeld {
			status = StatusProcessing
		}
		_, err := tx.Exec(ctx, `INSERT INTO funding_topups (`+topupCols+`, updated_at, risk_decision) VALUES (?, ?, ?, ?, ?, ?, '', '', '', 0, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.UserID, t.SourceType, t.SourceID, t.Amount, status, now, t.limitID, t.force3DS, t.web, now, t.decisionID)
		if err != nil {
			return err
		}
		// The API request names the top-up it started (package idem).
		return claim.Bind(ctx, tx, idem.KindTopup, t.ID)
	})
	if _, ok := apperr.As(err); ok {
		return err
	}
	if err != nil {
		return fmt.Errorf("funding: insert top-up: %w", err)
	}
	return nil
}

// setTopup moves a top-up out of a non-final status; it reports whether
// this call made the change (false: another one finished it first). With
// release, the change also gives back the limit reservation the row holds,
// in the same transaction (the top-up ended without money, or waits for a
// challenge, which reserves again when it passes): a crash cannot keep
// the reservation of a top-up that ended.
func (s *Service) setTopup(ctx context.Context, id, status, authID, challengeURL, decline string, transferID int64, release bool) (bool, error) {
	var changed bool
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE funding_topups SET status = ?, auth_id = CASE WHEN ? = '' THEN auth_id ELSE ? END,
			challenge_url = ?, decline_code = ?, transfer_id = ?, updated_at = ?
			WHERE id = ? AND status IN (?, ?)`, status, authID, authID, challengeURL, decline, transferID, ms(s.now()),
			id, StatusProcessing, StatusRequiresAction)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		changed = n > 0
		if !changed || !release {
			return nil
		}
		var limitID string
		if err := tx.QueryRow(ctx, `SELECT limit_id FROM funding_topups WHERE id = ?`, id).Scan(&limitID); err != nil {
			return err
		}
		if err := s.wallet.ReleaseLimitTx(ctx, tx, limitID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE funding_topups SET limit_id = '' WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("funding: update top-up: %w", err)
	}
	return changed, nil
}

func (s *Service) topupByID(ctx context.Context, id string) (Topup, error) {
	t, err := scanTopup(s.db.QueryRow(ctx, `SELECT `+topupCols+` FROM funding_topups WHERE id = ?`, id))
	if errors.Is(err, store.ErrNoRows) {
		return Topup{}, errTopupNotFound
	}
	if err != nil {
		return Topup{}, fmt.Errorf("funding: read top-up: %w", err)
	}
	return t, nil
}

// Topup returns userID's top-up, finishing it first if a 3-D Secure
// challenge has ended meanwhile (polling).
// Errors: apperr.NotFound (none, or another user's).
func (s *Service) Topup(ctx context.Context, userID, id string) (Topup, error) {
	t, err := s.topupByID(ctx, id)
	if err == nil && t.UserID != userID {
		return Topup{}, errTopupNotFound
	}
	if err != nil || t.Status != StatusRequiresAction {
		return t, err
	}
	return s.resumeCardTopup(ctx, t)
}

// credit books a finished top-up in the ledger, once (key from its id),
// and marks it succeeded.
func (s *Service) credit(ctx context.Context, t Topup, system string) (Topup, error) {
	src, err := s.wallet.SystemAccount(ctx, system)
	if err != nil {
		return Topup{}, fmt.Errorf("funding: system account %s: %w", system, err)
	}
	money, lite, err := s.wallet.Accounts(ctx, t.UserID)
	if err != nil {
		return Topup{}, fmt.Errorf("funding: accounts of %s: %w", t.UserID, err)
	}
	dst, kind := money, "topup_bank"
	if t.SourceType == SourceCard {
		dst, kind = lite, "topup_card"
	}
	if err := s.crash(FaultTopupBeforeCredit, t.ID); err != nil {
		return Topup{}, err
	}
	res, err := s.ledger.Commit(ctx, ledger.Request{Scope: "funding", Key: "topup:" + t.ID, Transfers: []ledger.Transfer{{
		Kind: kind, Debit: src.ID, Credit: dst.ID, Amount: t.Amount, Currency: dst.Currency,
		Metadata: map[string]string{"topup_id": t.ID, "user_id": t.UserID, "source": t.SourceType + ":" + t.SourceID},
	}}})
	if err != nil {
		return Topup{}, fmt.Errorf("funding: credit top-up %s: %w", t.ID, err)
	}
	if err := s.crash(FaultTopupAfterCredit, t.ID); err != nil {
		return Topup{}, err
	}
	changed, err := s.setTopup(ctx, t.ID, StatusSucceeded, "", "", "", res.TransferIDs[0], false)
	if err != nil {
		return Topup{}, err
	}
	if changed {
		s.notifyUser(ctx, t.UserID, "funding_topup_succeeded", map[string]any{"Amount": t.Amount, "Source": t.SourceType})
		s.record(ctx, t.UserID, "topup", t.ID, t.Amount, "in", StatusSucceeded, t.SourceType)
	}
	return s.topupByID(ctx, t.ID)
}

// fail ends a top-up that moved nothing, and gives back its limit
// reservation with it (whoever ends it: the request, a challenge's
// return, or Reconcile).
func (s *Service) fail(ctx context.Context, t Topup, status, code string) (Topup, error) {
	if _, err := s.setTopup(context.WithoutCancel(ctx), t.ID, status, "", "", code, 0, true); err != nil {
		return Topup{}, err
	}
	return s.topupByID(ctx, t.ID)
}

// validAmount checks 1 ≤ amount ≤ maxAmount.
func validAmount(amount, maxAmount int64) error {
	if amount < 1 || amount > maxAmount {
		return invalidAmount(maxAmount)
	}
	return nil
}

// reconcileBatchMax bounds the top-ups one Reconcile call retries.
const reconcileBatchMax = 100

// reconcileAfter is how long a top-up stays processing before Reconcile
// takes it over from the request that started it.
const reconcileAfter = time.Minute

// Reconcile finishes top-ups left processing (an unknown answer from the
// bank or acquirer, a crash between the debit and the credit): it repeats
// the counterpart call with the same idempotency key, which returns the
// first outcome, then credits the ledger with the same key. It returns how
// many it finished.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	rows, err := s.db.Query(ctx, `SELECT `+topupCols+` FROM funding_topups WHERE status = ? AND updated_at <= ?
		ORDER BY updated_at LIMIT ?`, StatusProcessing, ms(s.now().Add(-reconcileAfter)), reconcileBatchMax)
	if err != nil {
		return 0, fmt.Errorf("funding: find processing top-ups: %w", err)
	}
	var ts []Topup
	for rows.Next() {
		t, err := scanTopup(rows)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("funding: find processing top-ups: %w", err)
		}
		ts = append(ts, t)
	}
	rows.Close()
	n := 0
	for _, t := range ts {
		var out Topup
		if t.SourceType == SourceBank {
			out, err = s.finishBankTopup(ctx, t)
		} else {
			out, err = s.resumeCardTopup(ctx, t)
		}
		if err != nil {
			s.log.Warn("funding: reconcile top-up", "topup", t.ID, "err", err)
			continue
		}
		if out.Status != StatusProcessing {
			n++
		}
	}
	return n, nil
}

// ReconcileTopup finishes userID's top-up id if a crash left it
// processing (as Reconcile does, at once), for a retry of the request
// that started it; it returns the top-up as it then is (still processing
// while the counterpart's answer is unknown). Errors: apperr.NotFound.
func (s *Service) ReconcileTopup(ctx context.Context, userID, id string) (Topup, error) {
	t, err := s.topupByID(ctx, id)
	if err == nil && t.UserID != userID {
		return Topup{}, errTopupNotFound
	}
	if err != nil || t.Status != StatusProcessing {
		return t, err
	}
	ctx = context.WithoutCancel(ctx)
	if t.SourceType == SourceBank {
		return s.finishBankTopup(ctx, t)
	}
	return s.resumeCardTopup(ctx, t)
}

func notProcessing(t Topup) error {
	if t.Status == StatusProcessing || t.Status == StatusRequiresAction {
		return nil
	}
	return apperr.E(apperr.Conflict, "top-up already finished").JA("このチャージはすでに完了しています")
}
