package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/saifu-pay/saifu/internal/store"
)

// Bounds of the bank's money API.
const (
	moveAmountMax       = 100_000_000     // one debit or credit, JPY
	balanceMax          = 999_999_999_999 // no account holds more
	descriptionRunesMax = 100
	idemKeyBytesMax     = 255
)

const (
	kindDebit  = "debit"
	kindCredit = "credit"
)

var errInvalidToken = fail(http.StatusUnauthorized, "invalid_token", "access token unknown, expired or revoked")

// accountOf returns the account the request's access token grants at bank.
func (s *Sandbox) accountOf(ctx context.Context, tx *store.Tx, r *http.Request, bankCode string) (string, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return "", errInvalidToken
	}
	var account string
	err := tx.QueryRow(ctx, `SELECT account_id FROM sandbox_bank_tokens
		WHERE token_hash = ? AND kind = 'access' AND bank_code = ? AND revoked_at = 0 AND expires_at > ?`,
		hashSecret(tok), bankCode, ms(s.clock())).Scan(&account)
	if errors.Is(err, store.ErrNoRows) {
		return "", errInvalidToken
	}
	return account, err
}

type holderAnswer struct {
	AccountID    string `json:"account_id"`
	AccountLast4 string `json:"account_last4"`
	NameKana     string `json:"name_kana"`
	NameRomaji   string `json:"name_romaji"`
	Phone        string `json:"phone"`
}

func (s *Sandbox) handleHolder(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	bankCode := r.PathValue("bank")
	var a holderAnswer
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		id, err := s.accountOf(ctx, tx, r, bankCode)
		if err != nil {
			return err
		}
		var number string
		a.AccountID = id
		if err := tx.QueryRow(ctx, `SELECT account_number, name_kana, name_romaji, phone FROM sandbox_bank_accounts WHERE id = ?`,
			id).Scan(&number, &a.NameKana, &a.NameRomaji, &a.Phone); err != nil {
			return err
		}
		a.AccountLast4 = number[len(number)-4:]
		if s.fault().BankSilent {
			a.Phone = ""
		}
		return nil
	})
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

type moveRequest struct {
	Amount         int64  `json:"amount"`
	IdempotencyKey string `json:"idempotency_key"`
	Description    string `json:"description"`
}

func (m moveRequest) valid() error {
	switch {
	case m.Amount <= 0 || m.Amount > moveAmountMax:
		return invalid(fmt.Sprintf("amount must be 1 to %d", moveAmountMax))
	case !validKey(m.IdempotencyKey):
		return invalid("idempotency_key must be 1-255 printable ASCII characters")
	case !utf8.ValidString(m.Description) || utf8.RuneCountInString(m.Description) > descriptionRunesMax ||
		strings.IndexFunc(m.Description, unicode.IsControl) >= 0:
		return invalid(fmt.Sprintf("description must be at most %d printable characters", descriptionRunesMax))
	}
	return nil
}

func validKey(k string) bool {
	if len(k) == 0 || len(k) > idemKeyBytesMax {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

type moveAnswer struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Amount int64  `json:"amount"`
}

// handleMove debits or credits the token's account: idempotent by key (a
// repeat answers the first transaction, the same key with another request
// is refused), never below zero, in one transaction.
func (s *Sandbox) handleMove(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		bankCode := r.PathValue("bank")
		var req moveRequest
		if err := decodeJSON(r, &req); err != nil {
			s.writeErr(w, r, err)
			return
		}
		if err := req.valid(); err != nil {
			s.writeErr(w, r, err)
			return
		}
		reqHash := hashSecret(fmt.Sprintf("%s|%d", kind, req.Amount))
		var ans moveAnswer
		var err error
		// A concurrent request with the same key loses the insert race
		// with a unique violation; the second round finds its twin.
		for range 2 {
			err = s.db.Write(ctx, func(tx *store.Tx) error {
				account, err := s.accountOf(ctx, tx, r, bankCode)
				if err != nil {
					return err
				}
				var prevHash string
				err = tx.QueryRow(ctx, `SELECT id, kind, amount, request_hash FROM sandbox_bank_txns WHERE account_id = ? AND idem_key = ?`,
					account, req.IdempotencyKey).Scan(&ans.ID, &ans.Kind, &ans.Amount, &prevHash)
				if err == nil {
					if prevHash != reqHash {
						return fail(http.StatusUnprocessableEntity, "idempotency_key_reused", "idempotency key used before with a different request")
					}
					return nil
				}
				if !errors.Is(err, store.ErrNoRows) {
					return err
				}
				var res interface{ RowsAffected() (int64, error) }
				if kind == kindDebit {
					res, err = tx.Exec(ctx, `UPDATE sandbox_bank_accounts SET balance = balance - ? WHERE id = ? AND balance >= ?`,
						req.Amount, account, req.Amount)
				} else {
					res, err = tx.Exec(ctx, `UPDATE sandbox_bank_accounts SET balance = balance + ? WHERE id = ? AND balance <= ?`,
						req.Amount, account, balanceMax-req.Amount)
				}
				if err != nil {
					return err
				}
				if n, err := res.RowsAffected(); err != nil {
					return err
				} else if n != 1 && kind == kindDebit {
					return fail(http.StatusUnprocessableEntity, "insufficient_funds", "the account balance is too low")
				} else if n != 1 {
					return fail(http.StatusUnprocessableEntity, "declined", "the account cannot receive this amount")
				}
				var balance int64
				if err := tx.QueryRow(ctx, `SELECT balance FROM sandbox_bank_accounts WHERE id = ?`, account).Scan(&balance); err != nil {
					return err
				}
				ans = moveAnswer{ID: randToken("btx_", 16), Kind: kind, Amount: req.Amount}
				_, err = tx.Exec(ctx, `INSERT INTO sandbox_bank_txns
					(id, account_id, kind, amount, idem_key, request_hash, description, balance_after, created_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					ans.ID, account, kind, req.Amount, req.IdempotencyKey, reqHash, req.Description, balance, ms(s.clock()))
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
		writeJSON(w, http.StatusOK, ans)
	}
}
