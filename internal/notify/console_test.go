package notify

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConsolePrintsWholeMessage(t *testing.T) {
	var out strings.Builder
	c := NewConsole(&out)
	if err := c.Send(context.Background(), Message{To: "hanako@example.jp", Channel: ChannelEmail, Subject: "パスワードの再設定", Body: "token: abc123\n"}); err != nil {
		t.Fatal(err)
	}
	want := "----- email to hanako@example.jp (not delivered: development console, no --smtp-url) -----\n" +
		"Subject: パスワードの再設定\n\ntoken: abc123\n----- end of message -----\n"
	if diff := cmp.Diff(out.String(), want); diff != "" {
		t.Errorf("console (-got +want):\n%s", diff)
	}
}
