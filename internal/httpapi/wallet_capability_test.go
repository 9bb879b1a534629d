package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/wallet"
)

// TestCapabilityMiddleware: the signup kill switch stops the real signup
// handler with 503 capability_disabled before it runs (no mail is sent),
// and lets it run again once switched back on. On SQLite and PostgreSQL.
func TestCapabilityMiddleware(t *testing.T) {
	eachWalletEnv(t, nil, func(t *testing.T, e *walletEnv) {
		ctx := context.Background()
		mux := http.NewServeMux()
		mux.Handle("POST /api/v1/signup", capability(e.wallet, wallet.CapSignup)(handleSignup(e.id)))
		mux.Handle("POST /unguarded", capability(nil, wallet.CapSignup)(handleSignup(e.id)))
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		a := e.agent("capability-test", "192.0.2.200")
		orig := e.srv
		e.srv = srv
		t.Cleanup(func() { e.srv = orig })

		tests := []struct {
			name       string
			enabled    bool
			path       string
			addr       string
			wantStatus int
			wantCode   string
			wantMails  int
		}{
			{"enabled: signup runs", true, "/api/v1/signup", "cap1@example.com", 202, "", 1},
			{"disabled: 503 before the handler", false, "/api/v1/signup", "cap2@example.com", 503, "capability_disabled", 0},
			{"no wallet service: no switch", false, "/unguarded", "cap3@example.com", 202, "", 1},
			{"enabled again", true, "/api/v1/signup", "cap4@example.com", 202, "", 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := e.wallet.Controls().SetCapability(ctx, "operator:test", wallet.CapSignup, tt.enabled, "test"); err != nil {
					t.Fatal(err)
				}
				r := a.do("POST", tt.path, map[string]string{"email": tt.addr, "password": "correct horse battery staple 42"})
				if tt.wantCode != "" {
					r.want(t, tt.wantStatus, tt.wantCode)
					if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || r.body["error"].(map[string]any)["message_ja"] == "" {
						t.Fatalf("error shape: %v %s", r.header, r.raw)
					}
				} else {
					r.want(t, tt.wantStatus)
				}
				if tt.wantMails > 0 {
					e.mail.wait(t, tt.addr, "verification code", tt.wantMails)
				} else if got := e.mail.all(tt.addr); len(got) != 0 {
					t.Fatalf("%d mails sent while disabled", len(got))
				}
			})
		}
		// By now later signups' mail went out; the refused one has none.
		if got := e.mail.all("cap2@example.com"); len(got) != 0 {
			t.Fatalf("%d mails for the refused signup", len(got))
		}
	})
}

func TestCapabilityUnknownPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("an unknown capability did not panic")
		}
	}()
	capability(nil, "teleport")
}
