package httpapi

import (
	"testing"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestOpsReasonControlCharacters: an operator's reason is text a person
// reads later in the audit log and on the user's page. Found in review:
// a reason with a NUL froze the user on SQLite (and failed as a 500 on
// PostgreSQL, which keeps no NUL in text), and other control or bidi
// characters went into the audit chain as they were. Now each is 400 and
// changes nothing, on both databases; line breaks and tabs are kept.
func TestOpsReasonControlCharacters(t *testing.T) {
	storetest.Each(t, walletSets, func(t *testing.T, db *store.DB) {
		e := newOpsEnv(t, db)
		admin := e.bootstrap(t)
		risk := e.operatorWith(t, admin, "risk")
		_, uid, _ := e.user(true)
		for _, reason := range []string{"a\x00b", "bell\x07", "esc\x1b[31m", "rtl \u202e override", "c1 \u0085"} {
			risk.do("POST", "/ops/api/users/"+uid+"/freeze", map[string]string{"reason": reason}).want(t, 400, "invalid_request")
			risk.do("PUT", "/ops/api/switches/p2p", map[string]any{"enabled": false, "reason": reason}).want(t, 400, "invalid_request")
		}
		risk.do("GET", "/ops/api/users/"+uid, nil).want(t, 200)
		if r := risk.do("GET", "/ops/api/users/"+uid, nil).want(t, 200); r.body["freeze"].(map[string]any)["frozen"] != false {
			t.Fatalf("a refused freeze froze the user: %s", r.raw)
		}
		risk.do("POST", "/ops/api/users/"+uid+"/freeze", map[string]string{"reason": "line one\nline two\twith a tab"}).want(t, 200)
	})
}
