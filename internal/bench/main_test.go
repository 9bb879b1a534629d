package bench

import (
	"testing"

	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestMain stops the throwaway PostgreSQL cluster after the package's tests.
func TestMain(m *testing.M) { storetest.Main(m) }
