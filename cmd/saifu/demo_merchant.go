package main

import (
	"context"
	"fmt"
	"io"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/merchant"
)

// demoMerchantName names the merchant that --demo seeds.
const demoMerchantName = "Saifu Demo Shop"

// seedDemoMerchant creates the demo merchant on the first demo start and
// prints its secret key once; later starts only name it (the key is stored
// hashed and cannot be shown again: `saifu merchant rotate-key` makes a new
// one).
func seedDemoMerchant(ctx context.Context, m *merchant.Service, stdout io.Writer) error {
	if existing, err := m.FindByName(ctx, demoMerchantName); err == nil {
		fmt.Fprintf(stdout, "demo merchant: %s (%s); its secret key was shown at the first demo start — `saifu merchant rotate-key --id %s` makes a new one\n",
			existing.ID, existing.Name, existing.ID)
		return nil
	} else if apperr.CodeOf(err) != apperr.NotFound {
		return err
	}
	mer, key, whsec, err := m.Create(ctx, demoMerchantName, "")
	if err != nil {
		return fmt.Errorf("seed demo merchant: %w", err)
	}
	fmt.Fprintf(stdout, "demo merchant: %s (%s)\n  secret key:     %s\n  webhook secret: %s\n  (shown only this once; they are stored hashed or sealed)\n", mer.ID, mer.Name, key, whsec)
	return nil
}
