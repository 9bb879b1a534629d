package funding

import (
	"context"
	"errors"
	"fmt"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

// systemAcquirer mirrors the card acquirer in the ledger.
const systemAcquirer = "card_acquirer"

// CardTopup tops up the session user's money lite from one of their
// active cards. 3-D Secure is forced when the risk rules ask for a
// step-up (risk.go); the acquirer may ask for it anyway. The answer is succeeded, requires_action
// (challenge URL; the top-up completes when the challenge does), declined
// or processing.
// Errors: apperr.NotFound (card), apperr.Invalid (amount),
// apperr.LimitExceeded, apperr.CapabilityDisabled, apperr.Unavailable.
func (s *Service) CardTopup(ctx context.Context, sess identity.Session, cardID string, amount int64) (Topup, error) {
	return s.CardTopupFrom(ctx, sess, Client{}, cardID, amount)
}

// CardTopupFrom is CardTopup from client c: a web caller's challenge
// sends the browser back to the web wallet (Client.Web).
func (s *Service) CardTopupFrom(ctx context.Context, sess identity.Session, c Client, cardID string, amount int64) (Topup, error) {
	// The session as stored decides whether 3-D Secure is forced (decide
	// reads it so): a copy claiming a privilege or a recognised device
	// lifts nothing.
	userID := sess.UserID
	if err := s.wallet.CheckCapability(ctx, ops.CapCardTopup); err != nil {
		return Topup{}, err
	}
	// A frozen account (suspected takeover) gains no card or bank link and
	// charges none: 7pay's attackers charged their victims' cards.
	if err := s.wallet.CheckFrozen(ctx, userID); err != nil {
		return Topup{}, err
	}
	if err := validAmount(amount, s.lim.TopupAmountMax); err != nil {
		return Topup{}, err
	}
	card, err := s.card(ctx, userID, cardID)
	if err != nil {
		return Topup{}, err
	}
	if card.Status != CardActive {
		return Topup{}, apperr.E(apperr.Conflict, "the card is not active").JA("このカードは利用できません")
	}
	token, err := s.box.Open(card.tokenSealed, cardAAD(card.ID))
	if err != nil {
		return Topup{}, fmt.Errorf("funding: open card token: %w", err)
	}
	var done int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM funding_topups WHERE source_id = ? AND status = ?`, card.ID, StatusSucceeded).Scan(&done); err != nil {
		return Topup{}, fmt.Errorf("funding: count top-ups: %w", err)
	}
	// The rules may ask for 3-D Secure (step_up: only the cardholder
	// passes it) or refuse: the default rules ask for it on a card's
	// first top-up, on large ones, from a session that has not proved
	// itself recently and during a cooling-off period.
	d, _, err := s.decide(ctx, sess, risk.KindCardTopup, risk.Subject{Amount: amount, Card: card.fingerprint}, risk.Features{"card_topups": int64(done)})
	if err != nil {
		return Topup{}, err
	}
	if err := d.Refusal(); err != nil {
		return Topup{}, err
	}
	limitID, err := s.wallet.ReserveLimitID(ctx, userID, flowTopup, amount)
	if err != nil {
		return Topup{}, err
	}
	// The row keeps the reservation (confirmed with it) and what the
	// authorisation will ask: whoever ends the top-up, this request or
	// Reconcile, gives the reservation back, and after a crash before the
	// authorisation is recorded Reconcile asks the same question again.
	t := Topup{ID: newID("top_"), UserID: userID, SourceType: SourceCard, SourceID: card.ID, Amount: amount, Status: StatusProcessing,
		limitID: limitID, force3DS: 0, web: b2i(c.Web)}
	if d.SteppedUp() {
		t.force3DS = 1
	}
	if err := s.crash(FaultTopupAfterLimit, t.ID); err != nil {
		return Topup{}, err
	}
	if err := s.insertTopup(ctx, t); err != nil {
		s.wallet.ReleaseLimit(context.WithoutCancel(ctx), limitID)
		return Topup{}, err
	}
	res, err := s.acquirer.Authorize(ctx, s.authRequest(t, string(token)))
	if err != nil {
		if errors.Is(err, connector.ErrUnavailable) {
			// Unknown: Reconcile asks again with the same key (resumeCardTopup).
			return s.topupByID(ctx, t.ID)
		}
		return s.fail(ctx, t, StatusFailed, connector.CodeOf(err))
	}
	if err := s.crash(FaultTopupAfterAuth, t.ID); err != nil {
		return Topup{}, err
	}
	return s.authorized(ctx, t, res)
}

// authRequest is the authorisation a card top-up asks for: a function of
// its row (and the card's token), so that a repeat under its key is the
// same request.
func (s *Service) authRequest(t Topup, token string) connector.AuthRequest {
	return connector.AuthRequest{CardToken: token, Amount: t.Amount, Currency: "JPY", IdempotencyKey: "topup:" + t.ID,
		Force3DS: t.force3DS == 1, ReturnURL: s.returnURL(t.web)}
}

// authorized records the acquirer's answer to a top-up's authorisation
// and goes on: a challenge waits (its limit is given back and reserved
// again when it passes), a decline ends it, an approval is captured.
func (s *Service) authorized(ctx context.Context, t Topup, res connector.AuthResult) (Topup, error) {
	switch res.Status {
	case connector.AuthRequiresAction:
		if _, err := s.setTopup(ctx, t.ID, StatusRequiresAction, res.ID, res.ChallengeURL, "", 0, true); err != nil {
			return Topup{}, err
		}
		return s.topupByID(ctx, t.ID)
	case connector.AuthDeclined, connector.AuthVoided:
		if _, err := s.setTopup(ctx, t.ID, StatusDeclined, res.ID, "", res.DeclineCode, 0, true); err != nil {
			return Topup{}, err
		}
		return s.topupByID(ctx, t.ID)
	}
	t.authID = res.ID
	if _, err := s.setTopup(ctx, t.ID, StatusProcessing, res.ID, "", "", 0, false); err != nil {
		return Topup{}, err
	}
	return s.captureCardTopup(ctx, t)
}

// lostAuthorization ends a card top-up left processing without its
// authorisation's id (the acquirer did not answer, or a crash came before
// the answer was recorded): it asks the acquirer the same question under
// the same key, which answers the authorisation it made (or makes one
// now), voids it so that nothing stays reserved on the card, and fails
// the top-up, giving its limit back. The user was never told it
// succeeded; the answer they saw, if any, was "processing".
func (s *Service) lostAuthorization(ctx context.Context, t Topup) (Topup, error) {
	if t.force3DS < 0 {
		// Recorded before top-ups kept their question: it cannot be asked again.
		s.log.Error("funding: card top-up without its authorisation; check the acquirer by hand", "topup", t.ID)
		return s.fail(ctx, t, StatusFailed, "authorization_unknown")
	}
	card, err := s.card(ctx, t.UserID, t.SourceID)
	if apperr.CodeOf(err) == apperr.NotFound {
		s.log.Error("funding: card top-up without its authorisation, card gone; check the acquirer by hand", "topup", t.ID)
		return s.fail(ctx, t, StatusFailed, "authorization_unknown")
	}
	if err != nil {
		return Topup{}, err
	}
	token, err := s.box.Open(card.tokenSealed, cardAAD(card.ID))
	if err != nil {
		return Topup{}, fmt.Errorf("funding: open card token: %w", err)
	}
	res, err := s.acquirer.Authorize(ctx, s.authRequest(t, string(token)))
	if err != nil {
		if errors.Is(err, connector.ErrUnavailable) {
			return t, nil // unknown for now; asked again next time
		}
		// Refused outright (card gone, …): no authorisation exists.
		return s.fail(ctx, t, StatusFailed, "authorization_unknown")
	}
	if res.Status == connector.AuthSucceeded || res.Status == connector.AuthRequiresAction {
		if _, err := s.acquirer.Void(ctx, res.ID, "topup:"+t.ID+":void"); err != nil {
			s.log.Warn("funding: void lost authorisation", "topup", t.ID, "auth", res.ID, "err", err)
			return t, nil // stays processing: voided on the next run
		}
	}
	// The row keeps the authorisation's id now (for a late return from a
	// challenge, and for people looking).
	if _, err := s.setTopup(ctx, t.ID, StatusFailed, res.ID, "", "authorization_unknown", 0, true); err != nil {
		return Topup{}, err
	}
	return s.topupByID(ctx, t.ID)
}

// captureCardTopup captures an approved authorisation and credits money
// lite; both steps are keyed by the top-up id.
func (s *Service) captureCardTopup(ctx context.Context, t Topup) (Topup, error) {
	if _, err := s.acquirer.Capture(ctx, t.authID, t.Amount, "topup:"+t.ID+":capture"); err != nil {
		if errors.Is(err, connector.ErrUnavailable) {
			return s.topupByID(ctx, t.ID)
		}
		return s.fail(ctx, t, StatusFailed, connector.CodeOf(err))
	}
	return s.credit(ctx, t, systemAcquirer)
}

// resumeCardTopup asks the acquirer how a top-up's authorisation ended and
// finishes it.
func (s *Service) resumeCardTopup(ctx context.Context, t Topup) (Topup, error) {
	if err := notProcessing(t); err != nil {
		return t, nil
	}
	if t.authID == "" {
		return s.lostAuthorization(ctx, t)
	}
	res, err := s.acquirer.Get(ctx, t.authID)
	if err != nil {
		return t, nil // unknown for now; polling or Reconcile asks again
	}
	switch res.Status {
	case connector.AuthRequiresAction:
		return t, nil
	case connector.AuthDeclined, connector.AuthVoided:
		return s.fail(ctx, t, StatusDeclined, res.DeclineCode)
	}
	if t.Status == StatusRequiresAction {
		return s.completeChallenge(ctx, t)
	}
	return s.captureCardTopup(ctx, t)
}

// ThreeDSResult is what a finished 3-D Secure challenge completed.
type ThreeDSResult struct {
	Kind   string // "card" or "topup"
	ID     string
	Status string
}

// ThreeDSReturn completes the card registration or top-up whose challenge
// ended with the acquirer's authID (the browser's return from the issuer).
// It trusts nothing from the browser but the id: the outcome is asked of
// the acquirer. Errors: apperr.NotFound.
func (s *Service) ThreeDSReturn(ctx context.Context, authID string) (ThreeDSResult, error) {
	if authID == "" || len(authID) > 128 {
		return ThreeDSResult{}, apperr.E(apperr.NotFound, "unknown authentication").JA("認証が見つかりません")
	}
	c, err := scanCard(s.db.QueryRow(ctx, `SELECT `+cardCols+` FROM funding_cards WHERE auth_id = ?`, authID))
	if err == nil {
		c, err = s.Card(ctx, c.UserID, c.ID)
		if err != nil {
			return ThreeDSResult{}, err
		}
		return ThreeDSResult{Kind: "card", ID: c.ID, Status: c.Status}, nil
	}
	if !errors.Is(err, store.ErrNoRows) {
		return ThreeDSResult{}, fmt.Errorf("funding: find card: %w", err)
	}
	t, err := scanTopup(s.db.QueryRow(ctx, `SELECT `+topupCols+` FROM funding_topups WHERE auth_id = ?`, authID))
	if errors.Is(err, store.ErrNoRows) {
		return ThreeDSResult{}, apperr.E(apperr.NotFound, "unknown authentication").JA("認証が見つかりません")
	}
	if err != nil {
		return ThreeDSResult{}, fmt.Errorf("funding: find top-up: %w", err)
	}
	if t.Status == StatusProcessing {
		// Another return is capturing it: answer with its outcome.
		t, err = s.awaitTopup(ctx, t.ID)
	} else {
		t, err = s.resumeCardTopup(ctx, t)
	}
	if err != nil {
		return ThreeDSResult{}, err
	}
	return ThreeDSResult{Kind: "topup", ID: t.ID, Status: t.Status}, nil
}
