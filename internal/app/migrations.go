package app

import (
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/throttle"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// Migrations lists every package's migration set, in dependency order.
func Migrations() []store.Migrations {
	return []store.Migrations{
		// --- migration sets ---
		funding.Migrations, // after ledger, wallet, throttle and notify (its services use theirs)
		merchant.Migrations,
		sandbox.Migrations,
		throttle.Migrations,
		notify.Migrations,
		audit.Migrations, // before identity, whose migration 010 moves its old audit rows into the log
		risk.Migrations,
		identity.Migrations,
		ledger.Migrations,
		ops.Migrations,  // before wallet, whose migration 010 moves its old switches and freezes here
		idem.Migrations, // before wallet, whose migration 020 moves its old idempotency records here
		wallet.Migrations,
	}
}
