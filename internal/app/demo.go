package app

import (
	"context"
	"fmt"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// DemoMerchantName names the merchant that demo mode seeds.
const DemoMerchantName = "Saifu Demo Shop"

// seedDemo creates the demo merchant on the first demo start and prints
// its secret key once on Stdout; later starts only name it (the key is
// stored hashed and cannot be shown again: `saifu merchant rotate-key`
// makes a new one).
func (a *App) seedDemo(ctx context.Context) error {
	if !a.cfg.Demo {
		return nil
	}
	out := a.cfg.Stdout
	if existing, err := a.Merchants.FindByName(ctx, DemoMerchantName); err == nil {
		fmt.Fprintf(out, "demo merchant: %s (%s); its secret key was shown at the first demo start — `saifu merchant rotate-key --id %s` makes a new one\n",
			existing.ID, existing.Name, existing.ID)
		return nil
	} else if apperr.CodeOf(err) != apperr.NotFound {
		return err
	}
	mer, key, whsec, err := a.Merchants.Create(ctx, DemoMerchantName, "")
	if err != nil {
		return fmt.Errorf("seed demo merchant: %w", err)
	}
	fmt.Fprintf(out, "demo merchant: %s (%s)\n  secret key:     %s\n  webhook secret: %s\n  (shown only this once; they are stored hashed or sealed)\n", mer.ID, mer.Name, key, whsec)
	return nil
}
