package sandbox

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/saifu-pay/saifu/internal/store"
)

// Account lock-out, across flows: after accountFailuresMax wrong passwords
// in a row the login is refused for accountLockDuration.
const (
	accountFailuresMax  = 10
	accountLockDuration = 15 * time.Minute
	loginIDBytesMax     = 64
	passwordBytesMax    = 128
)

var (
	dummyHashOnce sync.Once
	dummyHash     []byte
)

// dummyCompare spends as long as a real password check, so that an unknown
// login id cannot be told from a wrong password by timing.
func dummyCompare(pw string) {
	dummyHashOnce.Do(func() {
		dummyHash, _ = bcrypt.GenerateFromPassword([]byte("sandbox-dummy-password"), bcrypt.DefaultCost)
	})
	bcrypt.CompareHashAndPassword(dummyHash, []byte(pw))
}

type loginAccount struct {
	id, hash, phone string
	lockedUntil     int64
}

// handleLogin checks the online-banking password; on success the bank sends
// a one-time code by SMS to the holder's phone and asks for it.
func (s *Sandbox) handleLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	b, err := s.findBank(ctx, r.PathValue("bank"))
	if err != nil || !parseForm(w, r) {
		s.flowGone(w, b)
		return
	}
	flowID, loginID, password := r.PostForm.Get("flow"), r.PostForm.Get("login_id"), r.PostForm.Get("password")
	now := s.clock()
	// Only the broken double (Faults.BankTrustsKnowledge) reads these.
	number := r.PostForm.Get("account_number")
	knowledge := s.fault().BankTrustsKnowledge && loginID == "" && number != "" &&
		r.PostForm.Get("pin") != "" && r.PostForm.Get("birth_date") != ""

	// Read phase: the flow and the account; bcrypt runs outside any
	// transaction so that a slow hash never holds the write lock.
	var acct loginAccount
	found := false
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		f, err := loadFlow(ctx, tx, b.code, flowID, now)
		if err != nil {
			return err
		}
		if f.stage != stageLogin {
			return errFlowGone
		}
		key, by := loginID, "login_id"
		if knowledge {
			key, by = number, "account_number"
		}
		if len(key) == 0 || len(key) > loginIDBytesMax {
			return nil
		}
		err = tx.QueryRow(ctx, `SELECT id, password_hash, phone, locked_until FROM sandbox_bank_accounts
			WHERE bank_code = ? AND `+by+` = ?`, b.code, key).Scan(&acct.id, &acct.hash, &acct.phone, &acct.lockedUntil)
		if errors.Is(err, store.ErrNoRows) {
			return nil
		}
		found = err == nil
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
	ok := false
	if knowledge {
		ok = found
	} else if found && len(password) <= passwordBytesMax {
		ok = bcrypt.CompareHashAndPassword([]byte(acct.hash), []byte(password)) == nil
	} else {
		dummyCompare(password)
	}
	locked := found && acct.lockedUntil > ms(now)

	otp := otpCode()
	skipOTP := s.fault().BankSkipsOTP || knowledge
	var outcome string // "otp", "consent" (BankSkipsOTP), "retry", "locked", "dead"
	var flowAt flow
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		f, err := loadFlow(ctx, tx, b.code, flowID, now)
		if err != nil {
			return err
		}
		if f.stage != stageLogin {
			return errFlowGone
		}
		switch {
		case ok && !locked && skipOTP:
			outcome, flowAt = stageConsent, f
			flowAt.accountID = acct.id
			_, err = tx.Exec(ctx, `UPDATE sandbox_bank_flows SET stage = ?, account_id = ? WHERE id_hash = ?`, stageConsent, acct.id, f.idHash)
			return err
		case ok && !locked:
			outcome = stageOTP
			if _, err := tx.Exec(ctx, `UPDATE sandbox_bank_accounts SET failed_logins = 0 WHERE id = ?`, acct.id); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE sandbox_bank_flows SET stage = ?, account_id = ?, otp_hash = ?, otp_expires_at = ?, otp_attempts = 0
				WHERE id_hash = ?`, stageOTP, acct.id, otpHash(f.idHash, otp), ms(now.Add(otpTTL)), f.idHash)
			return err
		case locked:
			outcome = "locked"
		default:
			outcome = "retry"
			if found {
				if _, err := tx.Exec(ctx, `UPDATE sandbox_bank_accounts SET failed_logins = failed_logins + 1,
					locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END WHERE id = ?`,
					accountFailuresMax, ms(now.Add(accountLockDuration)), acct.id); err != nil {
					return err
				}
			}
		}
		stage := stageLogin
		if f.loginAttempts+1 >= loginAttemptsMax {
			stage, outcome = stageFailed, "dead"
		}
		_, err = tx.Exec(ctx, `UPDATE sandbox_bank_flows SET login_attempts = login_attempts + 1, stage = ? WHERE id_hash = ?`, stage, f.idHash)
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
	d := bankPage(b, "ログイン")
	d.Action, d.Flow = "/sandbox/bank/"+b.code+"/login", flowID
	switch outcome {
	case stageConsent:
		s.renderConsent(w, r, b, flowAt, flowID)
	case stageOTP:
		if err := s.sendOTP(ctx, b, acct.phone, otp); err != nil {
			s.log.Error("sandbox: send bank code by SMS", "bank", b.code, "err", err)
			s.message(w, http.StatusServiceUnavailable, bankPage(b, "エラー"),
				"確認コードを送信できませんでした。しばらくしてからやり直してください。",
				"We could not send the code. Try again later.")
			return
		}
		d = bankPage(b, "ワンタイムパスワード")
		d.Action, d.Flow, d.Phone = "/sandbox/bank/"+b.code+"/otp", flowID, maskPhone(acct.phone)
		s.render(w, http.StatusOK, "bank_otp.html", d)
	case "locked":
		d.Error, d.ErrorEN = "ログインが一時的にロックされています。しばらくしてからお試しください。", "This login is locked for a while after too many failures."
		s.render(w, http.StatusForbidden, "bank_login.html", d)
	case "dead":
		s.message(w, http.StatusForbidden, bankPage(b, "エラー"),
			"ログインに続けて失敗したため、この手続きは終了しました。",
			"Too many failed log-ins: this session has ended.")
	default:
		d.Error, d.ErrorEN = "ログインIDまたはパスワードが正しくありません。", "Wrong login ID or password."
		s.render(w, http.StatusUnauthorized, "bank_login.html", d)
	}
}

// otpHash binds a one-time code to its flow, so that equal codes of two
// flows hash differently.
func otpHash(salt, code string) string { return hashSecret(salt + ":" + code) }

// otpMatches compares in constant time.
func otpMatches(stored, salt, code string) bool {
	return stored != "" && subtle.ConstantTimeCompare([]byte(stored), []byte(otpHash(salt, code))) == 1
}

func (s *Sandbox) sendOTP(ctx context.Context, b bank, phone, code string) error {
	subject := fmt.Sprintf("【%s】確認コード / verification code", b.nameJA)
	body := fmt.Sprintf("【%s】確認コード: %s\nこのコードは5分間有効です。他人に絶対に教えないでください。当行の職員がコードをお尋ねすることはありません。\n%s code: %s (valid 5 minutes). Never share it; the bank never asks for it.",
		b.nameJA, code, b.nameEN, code)
	return s.sms(ctx, phone, subject, body)
}

func (s *Sandbox) internal(w http.ResponseWriter, b bank, err error) {
	s.log.Error("sandbox: bank page", "bank", b.code, "err", err)
	s.message(w, http.StatusInternalServerError, bankPage(b, "エラー"), "システムエラーが発生しました。", "Internal error.")
}
