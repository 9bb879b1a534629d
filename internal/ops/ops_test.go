package ops_test

import (
	"context"
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/wallet"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var sets = []store.Migrations{audit.Migrations, ops.Migrations}

// codeOf is apperr.CodeOf with "" for nil.
func codeOf(err error) apperr.Code {
	if err == nil {
		return ""
	}
	return apperr.CodeOf(err)
}

func now() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }

func TestSwitches(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := ops.New(db, now)
		for _, capability := range ops.Capabilities {
			if err := c.CheckCapability(ctx, capability); err != nil {
				t.Fatalf("%s is off by default: %v", capability, err)
			}
		}
		if err := c.CheckCapability(ctx, "payments"); err == nil || apperr.CodeOf(err) == apperr.CapabilityDisabled {
			t.Fatalf("unknown capability = %v, want a plain error", err)
		}
		tests := []struct {
			name       string
			capability string
			enabled    bool
			reason     string
			wantCode   apperr.Code
			wantCheck  apperr.Code // CheckCapability's code afterwards ("" = nil)
		}{
			{"switch off", ops.CapPayment, false, "incident 42", "", apperr.CapabilityDisabled},
			{"reason too long changes nothing", ops.CapPayment, true, strings.Repeat("理", 501), apperr.Invalid, apperr.CapabilityDisabled},
			{"unknown capability", "Payment", false, "x", apperr.NotFound, apperr.CapabilityDisabled},
			{"switch on", ops.CapPayment, true, "resolved", "", ""},
		}
		for _, tt := range tests {
			err := c.SetCapability(ctx, "operator:op1", tt.capability, tt.enabled, tt.reason)
			if got := codeOf(err); got != tt.wantCode {
				t.Fatalf("%s: SetCapability = %v, want code %q", tt.name, err, tt.wantCode)
			}
			err = c.CheckCapability(ctx, ops.CapPayment)
			if got := codeOf(err); got != tt.wantCheck {
				t.Fatalf("%s: CheckCapability = %v, want %q", tt.name, err, tt.wantCheck)
			}
		}
		entries, err := audit.ByTarget(ctx, db, "capability:payment", 10)
		if err != nil || len(entries) != 2 || entries[0].Action != "switch.enabled" || entries[1].Action != "switch.disabled" ||
			entries[1].Actor != "operator:op1" || entries[1].Details != "incident 42" {
			t.Fatalf("audit = %+v, %v", entries, err)
		}
	})
}

func TestFreezes(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := ops.New(db, now)
		if err := c.CheckFrozen(ctx, "u1"); err != nil {
			t.Fatal(err)
		}
		if err := c.SetFrozen(ctx, "operator:op1", "u1", true, "suspected takeover"); err != nil {
			t.Fatal(err)
		}
		if err := c.CheckFrozen(ctx, "u1"); apperr.CodeOf(err) != apperr.AccountFrozen {
			t.Fatalf("frozen user: %v", err)
		}
		if err := c.CheckFrozen(ctx, "u2"); err != nil {
			t.Fatalf("another user: %v", err)
		}
		if err := c.SetFrozen(ctx, "operator:op2", "u1", false, "cleared"); err != nil {
			t.Fatal(err)
		}
		if err := c.CheckFrozen(ctx, "u1"); err != nil {
			t.Fatal(err)
		}
		entries, _ := audit.ByTarget(ctx, db, "u1", 10)
		if len(entries) != 2 || entries[0].Action != "user.unfrozen" || entries[0].Actor != "operator:op2" || entries[1].Action != "user.frozen" {
			t.Fatalf("audit = %+v", entries)
		}
	})
}

// walletBefore returns the wallet's migrations older than 010 (the move of
// switches and freezes into ops), as the previous release had them.
func walletBefore(t *testing.T) store.Migrations {
	t.Helper()
	old := fstest.MapFS{}
	err := fs.WalkDir(wallet.Migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Base(p) >= "010" {
			return err
		}
		b, err := fs.ReadFile(wallet.Migrations.FS, p)
		old[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return store.Migrations{Set: wallet.Migrations.Set, FS: old}
}

// TestFreezesSurviveTheMove: a user frozen and a capability switched off
// before the controls moved into ops stay so after the migration.
func TestFreezesSurviveTheMove(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, d, append(sets, walletBefore(t))...)
			for _, q := range []string{
				`INSERT INTO wallet_freezes (user_id, frozen, reason, updated_at) VALUES ('u1', 1, 'takeover', 1), ('u2', 0, 'cleared', 2)`,
				`INSERT INTO wallet_capabilities (capability, enabled, reason, updated_at) VALUES ('p2p', 0, 'incident', 3)`,
			} {
				if _, err := db.Exec(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Migrate(ctx, append(sets, idem.Migrations, wallet.Migrations)...); err != nil {
				t.Fatal(err)
			}
			c := ops.New(db, now)
			if err := c.CheckFrozen(ctx, "u1"); apperr.CodeOf(err) != apperr.AccountFrozen {
				t.Fatalf("u1 after the move: %v", err)
			}
			if err := c.CheckFrozen(ctx, "u2"); err != nil {
				t.Fatalf("u2 after the move: %v", err)
			}
			if err := c.CheckCapability(ctx, ops.CapP2P); apperr.CodeOf(err) != apperr.CapabilityDisabled {
				t.Fatalf("p2p after the move: %v", err)
			}
		})
	}
}
