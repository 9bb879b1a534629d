package sandbox

import (
	"context"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/saifu-pay/saifu/internal/store"
)

// TestBank is a seeded sandbox bank.
type TestBank struct {
	Code, NameJA, NameEN string
}

// TestAccount is a seeded sandbox bank account with its online-banking login.
type TestAccount struct {
	ID, BankCode, LoginID, Password, Number string
	NameKana, NameRomaji, Phone             string
	Balance                                 int64
}

// TestBanks and TestAccounts are the fixed fixtures of API.md ("Sandbox
// fixtures"), seeded by Seed, so that walkthroughs and tests can rely on them.
var (
	TestBanks = []TestBank{
		{Code: "0001", NameJA: "サイフ銀行", NameEN: "Saifu Sandbox Bank"},
		{Code: "0002", NameJA: "みらい銀行", NameEN: "Mirai Sandbox Bank"},
	}
	TestAccounts = []TestAccount{
		{ID: "sbx-0001-1234567", BankCode: "0001", LoginID: "yamada", Password: "yamada-pass-0001", Number: "1234567",
			NameKana: "ヤマダ タロウ", NameRomaji: "YAMADA TARO", Phone: "+819000000001", Balance: 1_000_000},
		{ID: "sbx-0001-7654321", BankCode: "0001", LoginID: "suzuki", Password: "suzuki-pass-0001", Number: "7654321",
			NameKana: "スズキ ハナコ", NameRomaji: "SUZUKI HANAKO", Phone: "+819000000002", Balance: 500_000},
		{ID: "sbx-0002-2468013", BankCode: "0002", LoginID: "tanaka", Password: "tanaka-pass-0002", Number: "2468013",
			NameKana: "タナカ イチロウ", NameRomaji: "TANAKA ICHIRO", Phone: "+819000000003", Balance: 300_000},
		// A second account in TANAKA ICHIRO's name at the other bank, on
		// another phone: the one an attacker opens with stolen identity
		// data and makes the new withdrawal destination (SBI Securities
		// 2020; the red team's sbi/change-destination-then-withdraw).
		{ID: "sbx-0001-1357924", BankCode: "0001", LoginID: "ichiro", Password: "ichiro-pass-0001", Number: "1357924",
			NameKana: "タナカ イチロウ", NameRomaji: "TANAKA ICHIRO", Phone: "+819000000004", Balance: 0},
	}
)

// Seed creates the fixtures that do not exist yet. It never changes an
// existing account (balances survive restarts), so it is safe on every start.
func (s *Sandbox) Seed(ctx context.Context) error {
	for _, b := range TestBanks {
		if _, err := s.db.Exec(ctx, `INSERT INTO sandbox_banks (code, name_ja, name_en) VALUES (?, ?, ?) ON CONFLICT (code) DO NOTHING`,
			b.Code, b.NameJA, b.NameEN); err != nil {
			return fmt.Errorf("sandbox: seed bank %s: %w", b.Code, err)
		}
	}
	for _, a := range TestAccounts {
		var n int
		if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM sandbox_bank_accounts WHERE id = ?`, a.ID).Scan(&n); err != nil {
			return fmt.Errorf("sandbox: seed account %s: %w", a.LoginID, err)
		}
		if n > 0 {
			continue // hashing is slow; skip what exists
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(a.Password), bcrypt.DefaultCost)
		if err != nil {
			return fmt.Errorf("sandbox: hash password: %w", err)
		}
		err = s.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO sandbox_bank_accounts
				(id, bank_code, login_id, password_hash, account_number, name_kana, name_romaji, phone, balance)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
				a.ID, a.BankCode, a.LoginID, string(hash), a.Number, a.NameKana, a.NameRomaji, a.Phone, a.Balance)
			return err
		})
		if err != nil {
			return fmt.Errorf("sandbox: seed account %s: %w", a.LoginID, err)
		}
	}
	return nil
}
