package funding

import (
	"context"

	"github.com/saifu-pay/saifu/internal/store"
)

// Keys of the transaction-scoped advisory locks that serialise a count
// and the insert it allows on PostgreSQL, where a write transaction is
// READ COMMITTED and two of them would both see the old count. (SQLite
// write transactions begin IMMEDIATE and are serialised already.)
const (
	lockCardRegistration = 0x5a1f_0001
	lockBankLinkActivate = 0x5a1f_0002
)

// serialise takes the advisory lock key until tx ends (store.Tx.Serialise).
func (s *Service) serialise(ctx context.Context, tx *store.Tx, key int64) error {
	return tx.Serialise(ctx, key)
}
