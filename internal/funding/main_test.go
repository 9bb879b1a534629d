package funding_test

import (
	"testing"

	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestMain stops the shared PostgreSQL cluster of storetest when the
// package's tests end.
func TestMain(m *testing.M) { storetest.Main(m) }
