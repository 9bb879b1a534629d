package ops_test

import (
	"context"
	"testing"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestVerifyAudit: any operator can have the chain checked (the check
// itself is audited); an entry edited after it was linked is reported as
// the first broken one.
func TestVerifyAudit(t *testing.T) {
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperators(t, db, c)
		admin, others := opsOf(t, o, db, c, ops.RoleViewer)
		if _, err := audit.New(db).Chain(ctx); err != nil {
			t.Fatal(err)
		}
		r, err := o.VerifyAudit(ctx, others[0])
		if err != nil || !r.OK() || r.Entries == 0 {
			t.Fatalf("a whole chain: %+v %v", r, err)
		}
		// The tampering the database's triggers refuse, with them off.
		tamper := []string{`DROP TRIGGER audit_log_link_once`, `UPDATE audit_log SET details = 'edited' WHERE seq = 2`}
		if db.Dialect == store.Postgres {
			tamper = []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`, tamper[1], `ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`}
		}
		for _, q := range tamper {
			if _, err := db.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		r, err = o.VerifyAudit(ctx, admin)
		if err != nil || r.OK() || r.Broken != 2 {
			t.Errorf("an edited entry: %+v %v, want broken at 2", r, err)
		}
		if _, err := audit.New(db).Chain(ctx); err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'audit.verify'`).Scan(&n); err != nil || n != 2 {
			t.Errorf("audit.verify entries = %d (%v), want 2", n, err)
		}
	})
}
