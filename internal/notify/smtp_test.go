package notify

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestNewSMTPSender(t *testing.T) {
	tests := []struct {
		name, url          string
		wantAddr, wantFrom string
		wantString         string
		wantErr            bool
	}{
		{"starttls default port", "smtp://u:secret-pw@mail.example:25", "mail.example:25", defaultFrom, "smtp://u:xxxxx@mail.example:25?from=" + defaultFrom, false},
		{"submission default", "smtp://mail.example?from=alerts@saifu.example", "mail.example:587", "alerts@saifu.example", "smtp://mail.example:587?from=alerts@saifu.example", false},
		{"implicit tls", "smtps://u:p@mail.example", "mail.example:465", defaultFrom, "smtps://u:xxxxx@mail.example:465?from=" + defaultFrom, false},
		{"bad scheme", "http://mail.example", "", "", "", true},
		{"no host", "smtp://", "", "", "", true},
		{"bad from", "smtp://mail.example?from=not-an-address", "", "", "", true},
		{"malformed, password not echoed", "smtp://u:secret-pw@mail example:%zz", "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSMTPSender(tt.url)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("NewSMTPSender(%q) succeeded", tt.url)
				}
				if strings.Contains(err.Error(), "secret-pw") {
					t.Fatalf("error reveals the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Addr != tt.wantAddr || s.From != tt.wantFrom || s.String() != tt.wantString {
				t.Fatalf("got %s %s %s, want %s %s %s", s.Addr, s.From, s, tt.wantAddr, tt.wantFrom, tt.wantString)
			}
		})
	}
}

func TestSMTPSenderRefuses(t *testing.T) {
	srv := startSMTP(t)
	good, err := NewSMTPSender(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	good.TLSConfig = srv.ClientTLS
	wrongPass, _ := NewSMTPSender(strings.Replace(srv.URL(), srv.Password, "wrong-pass", 1))
	wrongPass.TLSConfig = srv.ClientTLS
	untrusted, _ := NewSMTPSender(srv.URL()) // does not trust the self-signed certificate

	tests := []struct {
		name          string
		s             *SMTPSender
		m             Message
		wantPermanent bool
	}{
		{"sms over smtp", good, Message{To: "+819000000001", Channel: ChannelSMS, Body: "code"}, true},
		{"wrong password", wrongPass, mail1("a@example.jp"), false},
		{"untrusted certificate", untrusted, mail1("a@example.jp"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Send(context.Background(), tt.m)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if errors.Is(err, ErrPermanent) != tt.wantPermanent {
				t.Fatalf("Send = %v, permanent %v, want %v", err, errors.Is(err, ErrPermanent), tt.wantPermanent)
			}
			if strings.Contains(err.Error(), srv.Password) || strings.Contains(err.Error(), "wrong-pass") {
				t.Fatalf("error reveals a password: %v", err)
			}
		})
	}
	if got := srv.Received(); len(got) != 0 {
		t.Fatalf("server received %d messages, want 0", len(got))
	}
}

func TestRoute(t *testing.T) {
	cs := &countingSender{n: map[string]int{}}
	r := Route{ChannelSMS: cs}
	if err := r.Send(context.Background(), Message{To: "+819000000001", Channel: ChannelSMS}); err != nil {
		t.Fatal(err)
	}
	if err := r.Send(context.Background(), mail1("a@example.jp")); !errors.Is(err, ErrPermanent) {
		t.Fatalf("email without a route: %v, want ErrPermanent", err)
	}
	if cs.n["+819000000001"] != 1 {
		t.Fatalf("sms not routed: %v", cs.n)
	}
}
