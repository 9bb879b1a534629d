package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

func TestSandboxMessages(t *testing.T) {
	storetest.Each(t, []store.Migrations{notify.Migrations}, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		mb := notify.NewMailbox(db)
		for _, m := range []notify.Message{
			{To: "hanako@example.jp", Channel: notify.ChannelEmail, Subject: "確認コード", Body: "コード: 123456"},
			{To: "+819000000001", Channel: notify.ChannelSMS, Body: "サイフ銀行 ワンタイムコード 654321"},
			{To: "hanako@example.jp", Channel: notify.ChannelEmail, Subject: "second", Body: "2"},
		} {
			if err := mb.Send(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		srv := httptest.NewServer(New(Deps{DB: db, Mailbox: mb}))
		defer srv.Close()

		type item struct{ To, Channel, Subject, Body string }
		tests := []struct {
			name       string
			query      string
			wantStatus int
			wantItems  []item
		}{
			{"email, oldest first", "?to=hanako@example.jp", 200, []item{
				{"hanako@example.jp", "email", "確認コード", "コード: 123456"},
				{"hanako@example.jp", "email", "second", "2"},
			}},
			{"phone with escaped plus", "?to=%2B819000000001", 200, []item{{"+819000000001", "sms", "", "サイフ銀行 ワンタイムコード 654321"}}},
			{"phone with raw plus", "?to=+819000000001", 200, []item{{"+819000000001", "sms", "", "サイフ銀行 ワンタイムコード 654321"}}},
			{"nobody: empty list", "?to=nobody@example.jp", 200, []item{}},
			{"missing to", "", 400, nil},
			{"empty to", "?to=", 400, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := http.Get(srv.URL + "/sandbox/api/messages" + tt.query)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				if res.StatusCode != tt.wantStatus {
					t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
				}
				if tt.wantStatus != 200 {
					var e struct {
						Error struct{ Code string } `json:"error"`
					}
					if err := json.NewDecoder(res.Body).Decode(&e); err != nil || e.Error.Code != "invalid_request" {
						t.Fatalf("error body = %+v, %v", e, err)
					}
					return
				}
				var body struct {
					Items []struct {
						To, Channel, Subject, Body string
						SentAt                     string `json:"sent_at"`
					} `json:"items"`
				}
				if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
					t.Fatal(err)
				}
				got := []item{}
				for _, it := range body.Items {
					if it.SentAt == "" {
						t.Errorf("item without sent_at: %+v", it)
					}
					got = append(got, item{it.To, it.Channel, it.Subject, it.Body})
				}
				if diff := cmp.Diff(got, tt.wantItems); diff != "" {
					t.Fatalf("items (-got +want):\n%s", diff)
				}
			})
		}
	})
}

// TestSandboxMessagesNotMountedWithoutMailbox: production has no mailbox
// route at all.
func TestSandboxMessagesNotMountedWithoutMailbox(t *testing.T) {
	srv := httptest.NewServer(New(Deps{}))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/sandbox/api/messages?to=a@example.jp")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("status = %d, want 404", res.StatusCode)
	}
}
