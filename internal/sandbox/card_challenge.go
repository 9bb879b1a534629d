package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/saifu-pay/saifu/internal/store"
)

func challengePage() pageData {
	return pageData{Title: "3-Dセキュア", Header: "3-D Secure — サンドボックス・カード発行会社 / Sandbox Issuer ACS"}
}

// handleChallengePage shows the issuer's challenge: the code went by SMS to
// the cardholder's phone when the authorisation was made.
func (s *Sandbox) handleChallengePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var a auth
	var c card
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = loadAuth(ctx, tx, r.PathValue("id")); err != nil {
			return err
		}
		if err := s.expireChallenge(ctx, tx, &a); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT brand, last4 FROM sandbox_cards WHERE token_hash = ?`, a.tokenHash).Scan(&c.brand, &c.last4)
	})
	if errors.Is(err, errNotFound) {
		s.message(w, http.StatusNotFound, challengePage(), "この認証は存在しません。", "No such authentication.")
		return
	}
	if err != nil {
		s.log.Error("sandbox: challenge page", "err", err)
		s.message(w, http.StatusInternalServerError, challengePage(), "システムエラーが発生しました。", "Internal error.")
		return
	}
	if a.status != statusAction {
		s.message(w, http.StatusConflict, challengePage(), "この認証はすでに終了しています。", "This authentication has already ended.")
		return
	}
	s.renderChallenge(w, http.StatusOK, a, c, "", "")
}

func (s *Sandbox) renderChallenge(w http.ResponseWriter, status int, a auth, c card, errJA, errEN string) {
	d := challengePage()
	d.Action = "/sandbox/card/challenge/" + a.id
	d.Amount, d.Currency, d.Brand, d.Last4 = a.amount, a.currency, c.brand, c.last4
	d.Phone, d.PhoneE164 = maskPhone(CardholderPhone), url.QueryEscape(CardholderPhone)
	d.Error, d.ErrorEN = errJA, errEN
	s.render(w, status, "card_challenge.html", d)
}

// handleChallengeSubmit checks the code (action=verify) or gives up
// (action=cancel). The right code authorises; cancelling, running out of
// attempts or of time declines with authentication_failed. Every ending
// sends the browser to the return URL with ?auth_id=….
func (s *Sandbox) handleChallengeSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !parseForm(w, r) {
		s.message(w, http.StatusBadRequest, challengePage(), "入力が正しくありません。", "Malformed form.")
		return
	}
	action, code := r.PostForm.Get("action"), r.PostForm.Get("otp")
	if action == "" {
		action = "verify"
	}
	var a auth
	var c card
	wrong := false
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		wrong = false
		if a, err = loadAuth(ctx, tx, r.PathValue("id")); err != nil {
			return err
		}
		if err := s.expireChallenge(ctx, tx, &a); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT brand, last4 FROM sandbox_cards WHERE token_hash = ?`, a.tokenHash).Scan(&c.brand, &c.last4); err != nil {
			return err
		}
		if a.status != statusAction {
			return nil
		}
		switch {
		case action == "cancel":
			a.status, a.declineCode = statusDeclined, declineAuthFail
		case action == "verify" && otpMatches(a.otpHash, a.id, code):
			a.status = statusSucceeded
		default:
			a.otpAttempts++
			wrong = true
			if a.otpAttempts >= challengeAttemptsMax {
				a.status, a.declineCode, wrong = statusDeclined, declineAuthFail, false
			}
		}
		if a.status != statusAction {
			a.otpHash = ""
		}
		return s.saveChallenge(ctx, tx, a)
	})
	if errors.Is(err, errNotFound) {
		s.message(w, http.StatusNotFound, challengePage(), "この認証は存在しません。", "No such authentication.")
		return
	}
	if err != nil {
		s.log.Error("sandbox: challenge", "err", err)
		s.message(w, http.StatusInternalServerError, challengePage(), "システムエラーが発生しました。", "Internal error.")
		return
	}
	if wrong {
		left := challengeAttemptsMax - a.otpAttempts
		s.renderChallenge(w, http.StatusUnauthorized, a, c,
			fmt.Sprintf("認証コードが正しくありません（残り%d回）。", left), fmt.Sprintf("Wrong code (%d attempts left).", left))
		return
	}
	http.Redirect(w, r, withQuery(a.returnURL, url.Values{"auth_id": {a.id}}), http.StatusSeeOther)
}

func (s *Sandbox) saveChallenge(ctx context.Context, tx *store.Tx, a auth) error {
	_, err := tx.Exec(ctx, `UPDATE sandbox_card_auths SET status = ?, decline_code = ?, otp_hash = ?, otp_attempts = ? WHERE id = ?`,
		a.status, a.declineCode, a.otpHash, a.otpAttempts, a.id)
	return err
}
