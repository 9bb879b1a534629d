package funding

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// Bounds of completing a top-up after its 3-D Secure challenge.
const (
	// claimStaleAfter: a claim older than this is taken for abandoned (its
	// node crashed between the claim and the move to processing) and may
	// be taken over. The claimant needs one limit reservation, milliseconds.
	claimStaleAfter = time.Minute
	// awaitTopupMax bounds how long a caller that lost the claim waits for
	// the winner's outcome before it answers with the status as it is;
	// the winner's capture is one acquirer call (connector timeout 15 s),
	// usually well under a second.
	awaitTopupMax = 5 * time.Second
	// awaitTopupPoll is how often the loser reads the row meanwhile.
	awaitTopupPoll = 25 * time.Millisecond
)

// completeChallenge finishes a requires_action top-up whose challenge the
// acquirer reports passed. Parallel returns from the issuer (the browser
// retrying, a user polling, several nodes) all get here; one conditional
// UPDATE on the row decides the only one that reserves the limit, moves
// the top-up to processing and captures, on SQLite and on PostgreSQL's
// READ COMMITTED alike (the second UPDATE re-reads the claimed row and
// matches nothing). The others wait for its outcome and return it.
func (s *Service) completeChallenge(ctx context.Context, t Topup) (Topup, error) {
	claim, now := newID("clm_"), s.now()
	res, err := s.db.Exec(ctx, `UPDATE funding_topups SET claim_id = ?, claimed_at = ?, updated_at = ?
		WHERE id = ? AND status = ? AND claimed_at <= ?`,
		claim, ms(now), ms(now), t.ID, StatusRequiresAction, ms(now.Add(-claimStaleAfter)))
	if err != nil {
		return Topup{}, fmt.Errorf("funding: claim top-up: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.awaitTopup(ctx, t.ID)
	}
	// The challenge passed: count the amount against the limits now.
	limitID, err := s.wallet.ReserveLimitID(ctx, t.UserID, flowTopup, t.Amount)
	if err != nil {
		if apperr.CodeOf(err) != apperr.LimitExceeded {
			// Let the next return try again at once.
			if _, uerr := s.db.Exec(ctx, `UPDATE funding_topups SET claimed_at = 0 WHERE id = ? AND claim_id = ?`, t.ID, claim); uerr != nil {
				s.log.Warn("funding: release top-up claim", "topup", t.ID, "err", uerr)
			}
			return Topup{}, err
		}
		if _, err := s.db.Exec(ctx, `UPDATE funding_topups SET status = ?, decline_code = ?, challenge_url = '', updated_at = ?
			WHERE id = ? AND status = ? AND claim_id = ?`, StatusDeclined, "limit_exceeded", ms(s.now()), t.ID, StatusRequiresAction, claim); err != nil {
			return Topup{}, fmt.Errorf("funding: decline top-up: %w", err)
		}
		return s.topupByID(ctx, t.ID)
	}
	// The row takes the reservation, confirmed in the same transaction.
	moved := false
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		moved = false
		res, err := tx.Exec(ctx, `UPDATE funding_topups SET status = ?, limit_id = ?, challenge_url = '', updated_at = ?
			WHERE id = ? AND status = ? AND claim_id = ?`, StatusProcessing, limitID, ms(s.now()), t.ID, StatusRequiresAction, claim)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		moved = true
		return s.wallet.ConfirmLimit(ctx, tx, limitID)
	})
	if err != nil || !moved {
		s.wallet.ReleaseLimit(context.WithoutCancel(ctx), limitID)
	}
	if err != nil {
		return Topup{}, fmt.Errorf("funding: move top-up to processing: %w", err)
	}
	if !moved {
		// Our claim went stale and another caller took over.
		return s.awaitTopup(ctx, t.ID)
	}
	t.Status, t.limitID = StatusProcessing, limitID
	return s.captureCardTopup(ctx, t)
}

// awaitTopup waits, at most awaitTopupMax, until the top-up has left
// requires_action and processing (another caller is finishing it), and
// returns it as it then is.
func (s *Service) awaitTopup(ctx context.Context, id string) (Topup, error) {
	deadline := time.Now().Add(awaitTopupMax)
	for {
		t, err := s.topupByID(ctx, id)
		if err != nil || (t.Status != StatusRequiresAction && t.Status != StatusProcessing) || time.Now().After(deadline) {
			return t, err
		}
		select {
		case <-ctx.Done():
			return t, nil
		case <-time.After(awaitTopupPoll):
		}
	}
}
