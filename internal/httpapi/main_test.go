package httpapi

import (
	"testing"

	"saifu/internal/store/storetest"
)

// TestMain stops the throwaway PostgreSQL cluster after the package's tests.
// One per package: add no other TestMain here.
func TestMain(m *testing.M) { storetest.Main(m) }
