package identity_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// identityBefore returns identity's migrations older than version 010 (the
// move into the audit log), as a deployment of the previous release had them.
func identityBefore(t *testing.T) store.Migrations {
	t.Helper()
	old := fstest.MapFS{}
	err := fs.WalkDir(identity.Migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".sql") || filepath.Base(p) >= "010" {
			return err
		}
		b, err := fs.ReadFile(identity.Migrations.FS, p)
		old[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return store.Migrations{Set: identity.Migrations.Set, FS: old}
}

// TestOldAuditRowsMoveIntoTheChain: audit rows written before the audit
// log existed are moved into it, in their order, and chained.
func TestOldAuditRowsMoveIntoTheChain(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, d, audit.Migrations, identityBefore(t))
			for i, action := range []string{"user.created", "totp.added", "password.changed"} {
				if _, err := db.Exec(ctx, `INSERT INTO audit_events (id, at, user_id, actor, action, ip, user_agent, detail) VALUES (?, ?, 'u1', 'u1', ?, '192.0.2.1', 'ua', '')`,
					"aud"+action, int64(1000+i), action); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Migrate(ctx, audit.Migrations, identity.Migrations); err != nil {
				t.Fatal(err)
			}
			if _, err := audit.New(db).Chain(ctx); err != nil {
				t.Fatal(err)
			}
			items, _, err := audit.New(db).List(ctx, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range items {
				got = append(got, e.Action+"@"+e.Target)
			}
			if strings.Join(got, " ") != "user.created@u1 totp.added@u1 password.changed@u1" {
				t.Fatalf("moved entries = %v", got)
			}
			if rep, err := audit.Verify(ctx, db, time.Now()); err != nil || !rep.OK() {
				t.Fatalf("verify = %+v, %v", rep, err)
			}
			if _, err := db.Exec(ctx, `SELECT 1 FROM audit_events`); err == nil {
				t.Fatal("audit_events still exists")
			}
		})
	}
}
