package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// SMTPSender delivers email through an SMTP relay. It upgrades the
// connection with STARTTLS whenever the server offers it (smtps:// uses TLS
// from the first byte), and authenticates with AUTH PLAIN only over TLS or
// to a loopback server (net/smtp refuses otherwise). It delivers no SMS:
// an SMS message fails with ErrPermanent.
type SMTPSender struct {
	// Addr is host:port of the relay.
	Addr string
	// From is the envelope and header sender.
	From string
	// TLSConfig, if set, is used for STARTTLS and smtps (tests trust their
	// self-signed certificate through it). ServerName defaults to the host.
	TLSConfig *tls.Config

	host        string
	implicitTLS bool
	user        string
	password    string // never logged; String() hides it
}

// defaultFrom is used when the URL names no sender.
const defaultFrom = "no-reply@saifu.example"

// NewSMTPSender parses rawURL: smtp://user:pass@host:port (port 587 by
// default) or smtps://…:465, with an optional ?from=address.
func NewSMTPSender(rawURL string) (*SMTPSender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error quotes the URL, password included.
		return nil, errors.New("notify: malformed SMTP URL")
	}
	s := &SMTPSender{From: defaultFrom}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.implicitTLS = true
	default:
		return nil, fmt.Errorf("notify: SMTP URL scheme must be smtp or smtps, not %q", u.Scheme)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("notify: SMTP URL has no host")
	}
	port := u.Port()
	if port == "" {
		port = "587"
		if s.implicitTLS {
			port = "465"
		}
	}
	s.Addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
	}
	if f := u.Query().Get("from"); f != "" {
		a, err := mail.ParseAddress(f)
		if err != nil {
			return nil, fmt.Errorf("notify: SMTP from address %q: %w", f, err)
		}
		s.From = a.Address
	}
	return s, nil
}

// String describes the sender without its password.
func (s *SMTPSender) String() string {
	scheme := "smtp"
	if s.implicitTLS {
		scheme = "smtps"
	}
	user := ""
	if s.user != "" {
		user = s.user + ":xxxxx@"
	}
	return scheme + "://" + user + s.Addr + "?from=" + s.From
}

// Send delivers m in one SMTP session bounded by ctx. A recipient the
// server refuses with a 5xx reply is ErrPermanent; any other failure is
// worth a retry.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	if m.Channel != ChannelEmail {
		return fmt.Errorf("notify: SMTP cannot deliver channel %q: %w", m.Channel, ErrPermanent)
	}
	if err := m.validate(); err != nil {
		return fmt.Errorf("%w: %w", err, ErrPermanent)
	}
	msg, err := s.compose(m)
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("notify: dial SMTP %s: %w", s.Addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	tlsConf := s.tlsConfig()
	if s.implicitTLS {
		conn = tls.Client(conn, tlsConf)
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return fmt.Errorf("notify: SMTP greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello("saifu"); err != nil {
		return fmt.Errorf("notify: SMTP EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !s.implicitTLS {
		if err := c.StartTLS(tlsConf); err != nil {
			return fmt.Errorf("notify: SMTP STARTTLS: %w", err)
		}
	}
	if s.user != "" {
		if err := c.Auth(smtp.PlainAuth("", s.user, s.password, s.host)); err != nil {
			return fmt.Errorf("notify: SMTP AUTH as %s: %w", s.user, err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fmt.Errorf("notify: SMTP MAIL FROM: %w", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) && te.Code >= 500 {
			return fmt.Errorf("notify: SMTP recipient refused: %w: %w", err, ErrPermanent)
		}
		return fmt.Errorf("notify: SMTP RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("notify: SMTP DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("notify: SMTP write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("notify: SMTP message refused: %w", err)
	}
	if err := c.Quit(); err != nil {
		// The message was accepted at the final dot; a failed QUIT does not
		// undo that, and retrying would send it twice.
		return nil
	}
	return nil
}

func (s *SMTPSender) tlsConfig() *tls.Config {
	var c *tls.Config
	if s.TLSConfig != nil {
		c = s.TLSConfig.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = s.host
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// compose renders m as an RFC 5322 message: UTF-8 plain text, quoted-
// printable, no attachments, marked as automatically generated.
func (s *SMTPSender) compose(m Message) ([]byte, error) {
	var id [12]byte
	rand.Read(id[:])
	domain := s.From[strings.LastIndexByte(s.From, '@')+1:]
	var b strings.Builder
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", (&mail.Address{Name: "saifu", Address: s.From}).String())
	h("To", (&mail.Address{Address: m.To}).String())
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", time.Now().Format(time.RFC1123Z))
	h("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+domain+">")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	h("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n"))); err != nil {
		return nil, fmt.Errorf("notify: encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("notify: encode body: %w", err)
	}
	return []byte(b.String()), nil
}
