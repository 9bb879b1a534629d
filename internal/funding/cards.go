package funding

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

// Card statuses.
const (
	CardRequiresAction = "requires_action" // 3-D Secure challenge not done yet
	CardActive         = "active"
	CardDeclined       = "declined"
	CardRemoved        = "removed"
)

// Card is a registered card: never its number.
type Card struct {
	ID          string
	UserID      string
	Brand       string
	Last4       string
	ExpMonth    int
	ExpYear     int
	Status      string
	DeclineCode string
	NextAction  *NextAction
	CreatedAt   time.Time

	fingerprint, tokenSealed, authID, challengeURL string
}

const cardCols = `id, user_id, token_sealed, fingerprint, brand, last4, exp_month, exp_year, status, auth_id, challenge_url, decline_code, created_at`

func scanCard(r interface{ Scan(...any) error }) (Card, error) {
	var c Card
	var created int64
	err := r.Scan(&c.ID, &c.UserID, &c.tokenSealed, &c.fingerprint, &c.Brand, &c.Last4, &c.ExpMonth, &c.ExpYear,
		&c.Status, &c.authID, &c.challengeURL, &c.DeclineCode, &created)
	c.CreatedAt = fromMS(created)
	if c.Status == CardRequiresAction && c.challengeURL != "" {
		c.NextAction = &NextAction{Type: "3ds_challenge", URL: c.challengeURL}
	}
	return c, err
}

// returnURL is where the issuer's challenge sends the browser back to:
// the web wallet's page for a web caller (web 1), else the API's.
func (s *Service) returnURL(web int64) string {
	if web == 1 {
		return s.public + WebThreeDSReturnPath
	}
	return s.public + "/api/v1/3ds/return"
}

func cardAAD(id string) []byte { return []byte("card_token:" + id) }

// AddCard registers the card behind an acquirer token for the session's
// user, after a zero-amount 3-D Secure verification; the session must be
// privileged. The card is active at once when the issuer approves without
// friction, requires_action (with the challenge URL) when it asks for a
// challenge, declined otherwise.
// Errors: apperr.ReauthRequired, apperr.Unauthenticated (session ended),
// apperr.RateLimited, apperr.LimitExceeded (cards per account or accounts
// per card), apperr.Invalid (unknown token), apperr.Conflict (the card is
// already registered), apperr.CapabilityDisabled, apperr.AccountFrozen,
// apperr.Unavailable.
func (s *Service) AddCard(ctx context.Context, sess identity.Session, c Client, cardToken string) (Card, error) {
	// A stolen session alone registers no card: a strong authentication
	// within the last minutes is needed, as the session is stored now.
	if err := s.users.RequirePrivileged(ctx, sess); err != nil {
		return Card{}, err
	}
	userID := sess.UserID
	if err := s.wallet.CheckCapability(ctx, ops.CapCardRegistration); err != nil {
		return Card{}, err
	}
	// A frozen account (suspected takeover) gains no card or bank link and
	// charges none: 7pay's attackers charged their victims' cards.
	if err := s.wallet.CheckFrozen(ctx, userID); err != nil {
		return Card{}, err
	}
	if cardToken == "" || len(cardToken) > 255 {
		return Card{}, apperr.E(apperr.Invalid, "card_token is required").JA("card_token を指定してください")
	}
	// Every attempt counts, before anything is asked of the acquirer.
	w := s.lim.CardAttemptsWindow
	if err := s.hit(ctx, "card:reg:user:"+userID, s.lim.CardAttemptsUser, w); err != nil {
		return Card{}, err
	}
	if c.DeviceID != "" {
		if err := s.hit(ctx, "card:reg:dev:"+c.DeviceID, s.lim.CardAttemptsDevice, w); err != nil {
			return Card{}, err
		}
	}
	if err := s.hit(ctx, "card:reg:ip:"+c.IP, s.lim.CardAttemptsIP, w); err != nil {
		return Card{}, err
	}
	info, err := s.acquirer.Card(ctx, cardToken)
	if err != nil {
		return Card{}, counterpartErr("card lookup", err)
	}
	if err := s.hit(ctx, "card:reg:fp:"+info.Fingerprint, s.lim.CardAttemptsUser, w); err != nil {
		return Card{}, err
	}
	// The risk rules see every attempt (PayPay 2018: bursts of
	// registrations, one card on many accounts).
	d, cur, err := s.decide(ctx, sess, risk.KindCardRegistration, risk.Subject{DeviceID: c.DeviceID, IP: ipOf(c.IP), Card: info.Fingerprint}, nil)
	if err != nil {
		return Card{}, err
	}
	if err := s.refuseOrStepUp(ctx, d, cur); err != nil {
		return Card{}, err
	}
	card := Card{ID: newID("card_"), UserID: userID, Brand: info.Brand, Last4: info.Last4,
		ExpMonth: info.ExpMonth, ExpYear: info.ExpYear, fingerprint: info.Fingerprint, Status: CardRequiresAction}
	if card.tokenSealed, err = s.box.Seal([]byte(cardToken), cardAAD(card.ID)); err != nil {
		return Card{}, fmt.Errorf("funding: seal card token: %w", err)
	}
	now := s.now()
	card.CreatedAt = now
	claim := idem.From(ctx)
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		// Parallel registrations must not all pass the counts below.
		if err := s.serialise(ctx, tx, lockCardRegistration); err != nil {
			return err
		}
		var mine, others, same int
		if err := tx.QueryRow(ctx, `SELECT
			COALESCE(SUM(CASE WHEN user_id = ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN user_id <> ? AND fingerprint = ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN user_id = ? AND fingerprint = ? THEN 1 ELSE 0 END), 0)
			FROM funding_cards WHERE status IN (?, ?) AND (user_id = ? OR fingerprint = ?)`,
			userID, userID, info.Fingerprint, userID, info.Fingerprint, CardActive, CardRequiresAction, userID, info.Fingerprint).
			Scan(&mine, &others, &same); err != nil {
			return fmt.Errorf("funding: count cards: %w", err)
		}
		switch {
		case same > 0:
			return apperr.E(apperr.Conflict, "this card is already registered").JA("このカードはすでに登録されています")
		case mine >= s.lim.CardsPerUserMax:
			return apperr.E(apperr.LimitExceeded, fmt.Sprintf("at most %d cards per account", s.lim.CardsPerUserMax)).JA(fmt.Sprintf("登録できるカードは %d 枚までです", s.lim.CardsPerUserMax))
		case others >= s.lim.UsersPerCardMax:
			return apperr.E(apperr.LimitExceeded, "this card is registered to too many accounts").JA("このカードは登録できません")
		}
		_, err := tx.Exec(ctx, `INSERT INTO funding_cards (`+cardCols+`, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', ?, ?)`,
			card.ID, userID, card.tokenSealed, info.Fingerprint, info.Brand, info.Last4, info.ExpMonth, info.ExpYear,
			CardRequiresAction, ms(now), ms(now))
		if err != nil {
			return err
		}
		return claim.Bind(ctx, tx, idem.KindCard, card.ID)
	})
	if err != nil {
		return Card{}, err
	}
	res, err := s.acquirer.Verify3DS(ctx, cardToken, s.returnURL(b2i(c.Web)))
	if err != nil {
		// The card stays requires_action without a challenge; it can be
		// removed and registered again.
		return Card{}, counterpartErr("3-D Secure verification", err)
	}
	return s.applyCardAuth(ctx, card.ID, res)
}

// applyCardAuth records the outcome of a card's 3-D Secure verification.
func (s *Service) applyCardAuth(ctx context.Context, cardID string, res connector.AuthResult) (Card, error) {
	status := CardRequiresAction
	switch res.Status {
	case connector.AuthSucceeded:
		status = CardActive
	case connector.AuthDeclined:
		status = CardDeclined
	}
	var card Card
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE funding_cards SET status = ?, auth_id = ?, challenge_url = ?, decline_code = ?, updated_at = ?
			WHERE id = ? AND status = ?`, status, res.ID, res.ChallengeURL, res.DeclineCode, ms(s.now()), cardID, CardRequiresAction)
		if err != nil {
			return fmt.Errorf("funding: update card: %w", err)
		}
		card, err = scanCard(tx.QueryRow(ctx, `SELECT `+cardCols+` FROM funding_cards WHERE id = ?`, cardID))
		return err
	})
	if err != nil {
		return Card{}, err
	}
	if status == CardActive && card.Status == CardActive && res.Status == connector.AuthSucceeded {
		s.notifyUser(ctx, card.UserID, "funding_card_added", map[string]any{"Brand": card.Brand, "Last4": card.Last4})
	}
	return card, nil
}

// card returns userID's card; errCardNotFound for another user's.
func (s *Service) card(ctx context.Context, userID, id string) (Card, error) {
	c, err := scanCard(s.db.QueryRow(ctx, `SELECT `+cardCols+` FROM funding_cards WHERE id = ? AND user_id = ?`, id, userID))
	if errors.Is(err, store.ErrNoRows) {
		return Card{}, errCardNotFound
	}
	if err != nil {
		return Card{}, fmt.Errorf("funding: read card: %w", err)
	}
	return c, nil
}

// Card returns userID's card, asking the acquirer for the outcome of a
// pending 3-D Secure challenge (polling).
// Errors: apperr.NotFound (none, or another user's).
func (s *Service) Card(ctx context.Context, userID, id string) (Card, error) {
	c, err := s.card(ctx, userID, id)
	if err != nil || c.Status != CardRequiresAction || c.authID == "" {
		return c, err
	}
	res, err := s.acquirer.Get(ctx, c.authID)
	if err != nil {
		return c, nil // still pending as far as saifu knows
	}
	return s.applyCardAuth(ctx, c.ID, res)
}

// cardsListMax bounds Cards (CardsPerUserMax is far below it).
const cardsListMax = 100

// Cards lists userID's cards that are not removed, newest first.
func (s *Service) Cards(ctx context.Context, userID string) ([]Card, error) {
	rows, err := s.db.Query(ctx, `SELECT `+cardCols+` FROM funding_cards WHERE user_id = ? AND status <> ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, userID, CardRemoved, cardsListMax)
	if err != nil {
		return nil, fmt.Errorf("funding: list cards: %w", err)
	}
	defer rows.Close()
	out := []Card{}
	for rows.Next() {
		c, err := scanCard(rows)
		if err != nil {
			return nil, fmt.Errorf("funding: list cards: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RemoveCard removes userID's card at once: it can no longer top up.
// Errors: apperr.NotFound.
func (s *Service) RemoveCard(ctx context.Context, userID, id string) error {
	res, err := s.db.Exec(ctx, `UPDATE funding_cards SET status = ?, token_sealed = '', updated_at = ? WHERE id = ? AND user_id = ? AND status <> ?`,
		CardRemoved, ms(s.now()), id, userID, CardRemoved)
	if err != nil {
		return fmt.Errorf("funding: remove card: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errCardNotFound
	}
	return nil
}
