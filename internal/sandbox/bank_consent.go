package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// codeTTL is how long an authorization code may wait for its exchange
// (RFC 6749 §4.1.2 recommends at most 10 minutes; banks use about one).
const codeTTL = 60 * time.Second

// handleOTP checks the one-time code; the right one leads to the consent page.
func (s *Sandbox) handleOTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	b, err := s.findBank(ctx, r.PathValue("bank"))
	if err != nil || !parseForm(w, r) {
		s.flowGone(w, b)
		return
	}
	flowID, code := r.PostForm.Get("flow"), r.PostForm.Get("otp")
	now := s.clock()
	var f flow
	var outcome string // "consent", "wrong", "expired", "dead"
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if f, err = loadFlow(ctx, tx, b.code, flowID, now); err != nil {
			return err
		}
		if f.stage != stageOTP {
			return errFlowGone
		}
		switch {
		case f.otpExpiresAt <= ms(now):
			outcome = "expired"
			_, err = tx.Exec(ctx, `UPDATE sandbox_bank_flows SET stage = ? WHERE id_hash = ?`, stageFailed, f.idHash)
		case otpMatches(f.otpHash, f.idHash, code):
			outcome = stageConsent
			_, err = tx.Exec(ctx, `UPDATE sandbox_bank_flows SET stage = ?, otp_hash = '' WHERE id_hash = ?`, stageConsent, f.idHash)
		default:
			outcome, f.otpAttempts = "wrong", f.otpAttempts+1
			stage := stageOTP
			if f.otpAttempts >= otpAttemptsMax {
				outcome, stage = "dead", stageFailed
			}
			_, err = tx.Exec(ctx, `UPDATE sandbox_bank_flows SET otp_attempts = ?, stage = ? WHERE id_hash = ?`, f.otpAttempts, stage, f.idHash)
		}
		return err
	})
	if errors.Is(err, errFlowGone) {
		s.flowGone(w, b)
		return
	}
	if err != nil {
		s.internal(w, b, err)
		return
	}
	switch outcome {
	case stageConsent:
		s.renderConsent(w, r, b, f, flowID)
	case "wrong":
		var phone string
		s.db.QueryRow(ctx, `SELECT phone FROM sandbox_bank_accounts WHERE id = ?`, f.accountID).Scan(&phone)
		d := bankPage(b, "ワンタイムパスワード")
		d.Action, d.Flow, d.Phone = "/sandbox/bank/"+b.code+"/otp", flowID, maskPhone(phone)
		left := otpAttemptsMax - f.otpAttempts
		d.Error = fmt.Sprintf("確認コードが正しくありません（残り%d回）。", left)
		d.ErrorEN = fmt.Sprintf("Wrong code (%d attempts left).", left)
		s.render(w, http.StatusUnauthorized, "bank_otp.html", d)
	case "expired":
		s.message(w, http.StatusForbidden, bankPage(b, "エラー"),
			"確認コードの有効期限が切れました。最初からやり直してください。", "The code has expired. Start again.")
	default:
		s.message(w, http.StatusForbidden, bankPage(b, "エラー"),
			"確認コードを続けて間違えたため、この手続きは終了しました。", "Too many wrong codes: this session has ended.")
	}
}

func (s *Sandbox) renderConsent(w http.ResponseWriter, r *http.Request, b bank, f flow, flowID string) {
	var number, kana, romaji string
	err := s.db.QueryRow(r.Context(), `SELECT account_number, name_kana, name_romaji FROM sandbox_bank_accounts WHERE id = ?`,
		f.accountID).Scan(&number, &kana, &romaji)
	if err != nil {
		s.internal(w, b, err)
		return
	}
	d := bankPage(b, "口座連携の確認")
	d.Action, d.Flow = "/sandbox/bank/"+b.code+"/consent", flowID
	d.ClientID, d.RedirectHost = f.clientID, f.redirectHost()
	d.Account = "•••" + number[len(number)-4:]
	d.Holder = kana + " (" + romaji + ")"
	s.render(w, http.StatusOK, "bank_consent.html", d)
}

// handleConsent ends the flow: approve sends the browser back with a code,
// deny with error=access_denied; both carry the state unchanged.
func (s *Sandbox) handleConsent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	b, err := s.findBank(ctx, r.PathValue("bank"))
	if err != nil || !parseForm(w, r) {
		s.flowGone(w, b)
		return
	}
	flowID, decision := r.PostForm.Get("flow"), r.PostForm.Get("decision")
	if decision != "approve" && decision != "deny" {
		s.message(w, http.StatusBadRequest, bankPage(b, "エラー"), "操作を選んでください。", "Choose approve or deny.")
		return
	}
	now := s.clock()
	code := randToken("", 32)
	var f flow
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if f, err = loadFlow(ctx, tx, b.code, flowID, now); err != nil {
			return err
		}
		if f.stage != stageConsent {
			return errFlowGone
		}
		if _, err := tx.Exec(ctx, `UPDATE sandbox_bank_flows SET stage = ? WHERE id_hash = ?`, stageDone, f.idHash); err != nil {
			return err
		}
		if decision != "approve" {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO sandbox_bank_codes
			(code_hash, bank_code, client_id, redirect_uri, code_challenge, account_id, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			hashSecret(code), b.code, f.clientID, f.redirectURI, f.challenge, f.accountID, ms(now.Add(codeTTL)), ms(now))
		return err
	})
	if errors.Is(err, errFlowGone) {
		s.flowGone(w, b)
		return
	}
	if err != nil {
		s.internal(w, b, err)
		return
	}
	v := url.Values{"state": {f.state}}
	if decision == "approve" {
		s.noticeLink(ctx, b, f)
		v.Set("code", code)
	} else {
		v.Set("error", "access_denied")
	}
	http.Redirect(w, r, withQuery(f.redirectURI, v), http.StatusFound)
}

// noticeLink tells the holder, by SMS, that their account was linked: the
// bank's own warning, whatever the wallet does (docomo-koza's victims
// learned of the links only from their statements). Faults.BankSilent
// stops it.
func (s *Sandbox) noticeLink(ctx context.Context, b bank, f flow) {
	if s.fault().BankSilent {
		return
	}
	var phone, number string
	if err := s.db.QueryRow(ctx, `SELECT phone, account_number FROM sandbox_bank_accounts WHERE id = ?`, f.accountID).Scan(&phone, &number); err != nil {
		s.log.Error("sandbox: link notice", "err", err)
		return
	}
	last4 := number[len(number)-4:]
	body := fmt.Sprintf("【%s】お客さまの口座（末尾%s）と %s（%s）の連携が許可されました。お心当たりがない場合は、直ちに当行までご連絡ください。\n%s: your account ending %s was linked to %s (%s). If this was not you, call the bank now.",
		b.nameJA, last4, f.clientID, f.redirectHost(), b.nameEN, last4, f.clientID, f.redirectHost())
	if err := s.sms(ctx, phone, fmt.Sprintf("【%s】口座連携のお知らせ / account linked", b.nameJA), body); err != nil {
		s.log.Error("sandbox: send link notice", "bank", b.code, "err", err)
	}
}
