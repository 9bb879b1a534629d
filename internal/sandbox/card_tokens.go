package sandbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/saifu-pay/saifu/internal/store"
)

// cardYearsAheadMax bounds how far in the future an expiry may be.
const cardYearsAheadMax = 20

type tokenizeRequest struct {
	Number   string `json:"number"`
	ExpMonth int    `json:"exp_month"`
	ExpYear  int    `json:"exp_year"`
	CVC      string `json:"cvc"`
}

type cardAnswer struct {
	CardToken   string `json:"card_token,omitempty"`
	Brand       string `json:"brand"`
	Last4       string `json:"last4"`
	ExpMonth    int    `json:"exp_month"`
	ExpYear     int    `json:"exp_year"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// handleTokenize is what the browser or app calls with the card details;
// saifu only ever sees the token it returns. The number and CVC are not
// stored: only brand, last 4 and a keyed fingerprint.
func (s *Sandbox) handleTokenize(w http.ResponseWriter, r *http.Request) {
	var req tokenizeRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeErr(w, r, err)
		return
	}
	ans, err := s.tokenize(r.Context(), req)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	ans.Fingerprint = "" // the browser needs no fingerprint; saifu reads it by lookup
	writeJSON(w, http.StatusCreated, ans)
}

// tokenize checks a card's details and stores its token (the JSON
// endpoint's and the hosted card-entry page's one path). Refusals are
// *apiError with the codes invalid_number, invalid_expiry, expired_card
// and invalid_cvc.
func (s *Sandbox) tokenize(ctx context.Context, req tokenizeRequest) (cardAnswer, error) {
	number := strings.NewReplacer(" ", "", "-", "").Replace(req.Number)
	now := s.clock()
	year, month := now.Year(), int(now.Month())
	switch {
	case len(number) < 12 || len(number) > 19 || !allDigits(number) || !luhn(number):
		return cardAnswer{}, fail(http.StatusBadRequest, "invalid_number", "the card number is not valid")
	case req.ExpMonth < 1 || req.ExpMonth > 12 || req.ExpYear < 2000 || req.ExpYear > year+cardYearsAheadMax:
		return cardAnswer{}, fail(http.StatusBadRequest, "invalid_expiry", "exp_month must be 1-12 and exp_year a 4-digit year")
	case req.ExpYear < year || (req.ExpYear == year && req.ExpMonth < month):
		return cardAnswer{}, fail(http.StatusBadRequest, "expired_card", "the card has expired")
	}
	brand := brandOf(number)
	cvcLen := 3
	if brand == "amex" {
		cvcLen = 4
	}
	if len(req.CVC) != cvcLen || !allDigits(req.CVC) {
		return cardAnswer{}, fail(http.StatusBadRequest, "invalid_cvc", "the security code is not valid")
	}
	behaviour, ok := behaviourOf(number)
	if !ok {
		return cardAnswer{}, fail(http.StatusBadRequest, "invalid_number", "the sandbox accepts only its test card numbers (see /sandbox/)")
	}
	if behaviour == behaveSecurityCode {
		behaviour = securityCodeBehaviour(number, req.CVC)
	}
	mac := hmac.New(sha256.New, s.fpKey)
	mac.Write([]byte(number))
	ans := cardAnswer{
		CardToken: randToken("tok_", 24), Brand: brand, Last4: number[len(number)-4:],
		ExpMonth: req.ExpMonth, ExpYear: req.ExpYear, Fingerprint: "fp_" + hex.EncodeToString(mac.Sum(nil))[:32],
	}
	_, err := s.db.Exec(ctx, `INSERT INTO sandbox_cards
		(token_hash, brand, last4, exp_month, exp_year, fingerprint, behaviour, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		hashSecret(ans.CardToken), ans.Brand, ans.Last4, ans.ExpMonth, ans.ExpYear, ans.Fingerprint, behaviour, ms(now))
	if err != nil {
		return cardAnswer{}, err
	}
	return ans, nil
}

type card struct {
	tokenHash, brand, last4, fingerprint, behaviour string
	expMonth, expYear                               int
}

func loadCard(r *http.Request, tx *store.Tx, token string) (card, error) {
	c := card{tokenHash: hashSecret(token)}
	err := tx.QueryRow(r.Context(), `SELECT brand, last4, exp_month, exp_year, fingerprint, behaviour FROM sandbox_cards WHERE token_hash = ?`,
		c.tokenHash).Scan(&c.brand, &c.last4, &c.expMonth, &c.expYear, &c.fingerprint, &c.behaviour)
	if errors.Is(err, store.ErrNoRows) {
		return c, fail(http.StatusNotFound, "not_found", "unknown card token")
	}
	return c, err
}

// handleCardLookup answers what the acquirer knows of a card token. The
// token comes in the body so that it never appears in a logged URL.
func (s *Sandbox) handleCardLookup(w http.ResponseWriter, r *http.Request) {
	var req struct {
		CardToken string `json:"card_token"`
	}
	if err := decodeJSON(r, &req); err != nil {
		s.writeErr(w, r, err)
		return
	}
	var c card
	err := s.db.Read(r.Context(), func(tx *store.Tx) error {
		var err error
		c, err = loadCard(r, tx, req.CardToken)
		return err
	})
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cardAnswer{Brand: c.brand, Last4: c.last4, ExpMonth: c.expMonth, ExpYear: c.expYear, Fingerprint: c.fingerprint})
}
