package httpapi

import (
	"testing"

	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestMain stops the throwaway PostgreSQL cluster after the package's tests.
// One per package: add no other TestMain here.
func TestMain(m *testing.M) { storetest.Main(m) }
