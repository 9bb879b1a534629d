package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// Bounds of the acquirer.
const (
	authAmountMax        = 10_000_000 // one authorisation, JPY
	challengeTTL         = 10 * time.Minute
	challengeAttemptsMax = 3
)

// The kinds and statuses of an authorisation.
const (
	kindPayment      = "payment"
	kindVerification = "verification"
	statusSucceeded  = "succeeded"
	statusAction     = "requires_action"
	statusDeclined   = "declined"
	declineAuthFail  = "authentication_failed"
)

type authRequest struct {
	CardToken      string `json:"card_token"`
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"`
	IdempotencyKey string `json:"idempotency_key"`
	Force3DS       bool   `json:"force_3ds"`
	ReturnURL      string `json:"return_url"`
}

type authAnswer struct {
	ID           string `json:"id"`
	Kind         string `json:"kind"`
	Status       string `json:"status"`
	ChallengeURL string `json:"challenge_url,omitempty"`
	DeclineCode  string `json:"decline_code,omitempty"`
	Amount       int64  `json:"amount"`
	Currency     string `json:"currency"`
	Captured     int64  `json:"captured"`
	Refunded     int64  `json:"refunded"`
}

// auth is a stored authorisation.
type auth struct {
	id, tokenHash, kind, currency, status, declineCode, returnURL, otpHash string
	amount, captured, refunded, otpExpiresAt                               int64
	otpAttempts                                                            int
}

const authColumns = `id, token_hash, kind, amount, currency, status, decline_code, return_url,
	otp_hash, otp_attempts, otp_expires_at, captured, refunded`

func scanAuth(row interface{ Scan(...any) error }) (auth, error) {
	var a auth
	err := row.Scan(&a.id, &a.tokenHash, &a.kind, &a.amount, &a.currency, &a.status, &a.declineCode, &a.returnURL,
		&a.otpHash, &a.otpAttempts, &a.otpExpiresAt, &a.captured, &a.refunded)
	if errors.Is(err, store.ErrNoRows) {
		return a, errNotFound
	}
	return a, err
}

// loadAuth reads an authorisation and locks its row until tx ends, so that
// two answers to one challenge cannot both count from the same number of
// attempts (PostgreSQL runs write transactions at READ COMMITTED; SQLite's
// are serialised already). Every caller is a write transaction.
func loadAuth(ctx context.Context, tx *store.Tx, id string) (auth, error) {
	q := `SELECT ` + authColumns + ` FROM sandbox_card_auths WHERE id = ?`
	if tx.Dialect() == store.Postgres {
		q += ` FOR UPDATE`
	}
	return scanAuth(tx.QueryRow(ctx, q, id))
}

func (s *Sandbox) answer(r *http.Request, a auth) authAnswer {
	ans := authAnswer{ID: a.id, Kind: a.kind, Status: a.status, DeclineCode: a.declineCode, Amount: a.amount,
		Currency: a.currency, Captured: a.captured, Refunded: a.refunded}
	if a.status == statusAction {
		ans.ChallengeURL = s.baseURL(r) + "/sandbox/card/challenge/" + a.id
	}
	return ans
}

func validReturnURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && len(raw) <= redirectBytesMax && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Fragment == ""
}

// decide is the issuer: what a card with this behaviour does to this request.
func decide(kind, behaviour string, force3DS bool) (status, declineCode string) {
	if code, ok := strings.CutPrefix(behaviour, behaveDecline); ok {
		// A zero-amount verification cannot fail for lack of funds.
		if !(kind == kindVerification && code == "insufficient_funds") {
			return statusDeclined, code
		}
	}
	if behaviour == behaveChallenge || force3DS {
		return statusAction, ""
	}
	return statusSucceeded, ""
}

// createAuth runs one authorisation or verification, idempotent by key. A
// challenge's code goes by SMS once the authorisation is stored.
func (s *Sandbox) createAuth(w http.ResponseWriter, r *http.Request, kind string, req authRequest) {
	ctx := r.Context()
	now := s.clock()
	reqHash := hashSecret(fmt.Sprintf("%s|%s|%d|%s|%t|%s", kind, hashSecret(req.CardToken), req.Amount, req.Currency, req.Force3DS, req.ReturnURL))
	var a auth
	var otp string
	var c card
	var err error
	for range 2 { // the second round finds a concurrent twin with the same key
		otp = ""
		err = s.db.Write(ctx, func(tx *store.Tx) error {
			var prevHash, id string
			err := tx.QueryRow(ctx, `SELECT id, request_hash FROM sandbox_card_auths WHERE idem_key = ?`, req.IdempotencyKey).Scan(&id, &prevHash)
			if err == nil {
				if prevHash != reqHash {
					return fail(http.StatusUnprocessableEntity, "idempotency_key_reused", "idempotency key used before with a different request")
				}
				a, err = loadAuth(ctx, tx, id)
				return err
			}
			if !errors.Is(err, store.ErrNoRows) {
				return err
			}
			if c, err = loadCard(r, tx, req.CardToken); err != nil {
				return err
			}
			a = auth{id: randToken("auth_", 16), tokenHash: c.tokenHash, kind: kind, amount: req.Amount, currency: req.Currency, returnURL: req.ReturnURL}
			a.status, a.declineCode = decide(kind, c.behaviour, req.Force3DS)
			if a.status == statusAction {
				otp = otpCode()
				a.otpHash, a.otpExpiresAt = otpHash(a.id, otp), ms(now.Add(challengeTTL))
			}
			_, err = tx.Exec(ctx, `INSERT INTO sandbox_card_auths
				(id, token_hash, kind, amount, currency, status, decline_code, return_url, otp_hash, otp_expires_at, idem_key, request_hash, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				a.id, a.tokenHash, a.kind, a.amount, a.currency, a.status, a.declineCode, a.returnURL, a.otpHash, a.otpExpiresAt,
				req.IdempotencyKey, reqHash, ms(now))
			return err
		})
		if !store.IsUniqueViolation(err) {
			break
		}
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	if otp != "" {
		if err := s.sendChallengeCode(ctx, a, c, otp); err != nil {
			s.log.Error("sandbox: send 3-D Secure code by SMS", "auth", a.id, "err", err)
		}
	}
	writeJSON(w, http.StatusOK, s.answer(r, a))
}

func (s *Sandbox) sendChallengeCode(ctx context.Context, a auth, c card, otp string) error {
	what := fmt.Sprintf("%d %s", a.amount, a.currency)
	if a.kind == kindVerification {
		what = "カード登録 / card registration"
	}
	body := fmt.Sprintf("【3-Dセキュア】認証コード: %s\nご利用: %s（%s •••• %s）。10分間有効です。他人に教えないでください。\n3-D Secure code: %s for %s (%s ending %s), valid 10 minutes. Never share it.",
		otp, what, c.brand, c.last4, otp, what, c.brand, c.last4)
	return s.sms(ctx, CardholderPhone, "3-Dセキュア 認証コード / 3-D Secure code", body)
}

func (s *Sandbox) handleAuthorizeCard(w http.ResponseWriter, r *http.Request) {
	var req authRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeErr(w, r, err)
		return
	}
	if req.Currency == "" {
		req.Currency = "JPY"
	}
	switch {
	case req.CardToken == "":
		s.writeErr(w, r, invalid("card_token is required"))
	case req.Amount <= 0 || req.Amount > authAmountMax:
		s.writeErr(w, r, invalid(fmt.Sprintf("amount must be 1 to %d", authAmountMax)))
	case req.Currency != "JPY":
		s.writeErr(w, r, invalid("currency must be JPY"))
	case !validKey(req.IdempotencyKey):
		s.writeErr(w, r, invalid("idempotency_key must be 1-255 printable ASCII characters"))
	case !validReturnURL(req.ReturnURL):
		s.writeErr(w, r, invalid("return_url must be an absolute http(s) URL"))
	default:
		s.createAuth(w, r, kindPayment, req)
	}
}

// handleVerify3DS is the zero-amount 3-D Secure check at card registration.
func (s *Sandbox) handleVerify3DS(w http.ResponseWriter, r *http.Request) {
	var req struct {
		CardToken string `json:"card_token"`
		ReturnURL string `json:"return_url"`
	}
	if err := decodeJSON(r, &req); err != nil {
		s.writeErr(w, r, err)
		return
	}
	if req.CardToken == "" || !validReturnURL(req.ReturnURL) {
		s.writeErr(w, r, invalid("card_token and an absolute http(s) return_url are required"))
		return
	}
	s.createAuth(w, r, kindVerification, authRequest{
		CardToken: req.CardToken, Currency: "JPY", ReturnURL: req.ReturnURL, IdempotencyKey: randToken("verify_", 16),
	})
}

// handleGetAuth answers an authorisation as it is now; a challenge left
// unanswered past its time fails here.
func (s *Sandbox) handleGetAuth(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var a auth
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = loadAuth(ctx, tx, r.PathValue("id")); err != nil {
			return err
		}
		return s.expireChallenge(ctx, tx, &a)
	})
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.answer(r, a))
}

// expireChallenge declines a pending challenge whose time is up.
func (s *Sandbox) expireChallenge(ctx context.Context, tx *store.Tx, a *auth) error {
	if a.status != statusAction || a.otpExpiresAt > ms(s.clock()) {
		return nil
	}
	a.status, a.declineCode, a.otpHash = statusDeclined, declineAuthFail, ""
	_, err := tx.Exec(ctx, `UPDATE sandbox_card_auths SET status = ?, decline_code = ?, otp_hash = '' WHERE id = ?`, a.status, a.declineCode, a.id)
	return err
}
