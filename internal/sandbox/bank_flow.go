package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// Bounds of the authorize pages.
const (
	flowTTL          = 15 * time.Minute // one walk through login, code and consent
	loginAttemptsMax = 5                // wrong passwords per flow before it dies
	otpTTL           = 5 * time.Minute
	otpAttemptsMax   = 3 // wrong codes per flow before it dies
	formBytesMax     = 8 << 10
	stateBytesMax    = 255
	redirectBytesMax = 2000
)

// The stages of a flow, in order; failed and done are final.
const (
	stageLogin   = "login"
	stageOTP     = "otp"
	stageConsent = "consent"
	stageDone    = "done"
	stageFailed  = "failed"
)

var (
	clientIDRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	challengeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	bankCodeRE  = regexp.MustCompile(`^[0-9]{4}$`)
	flowIDRE    = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
)

type bank struct{ code, nameJA, nameEN string }

type flow struct {
	idHash, bankCode, clientID, redirectURI, state, challenge, stage, accountID string
	loginAttempts, otpAttempts                                                  int
	otpHash                                                                     string
	otpExpiresAt, expiresAt                                                     int64
}

// errFlowGone: the flow is unknown, expired, of another bank, or finished.
var errFlowGone = errors.New("sandbox: flow gone")

func (s *Sandbox) findBank(ctx context.Context, code string) (bank, error) {
	b := bank{code: code}
	if !bankCodeRE.MatchString(code) {
		return b, store.ErrNoRows
	}
	err := s.db.QueryRow(ctx, `SELECT name_ja, name_en FROM sandbox_banks WHERE code = ?`, code).Scan(&b.nameJA, &b.nameEN)
	return b, err
}

func loadFlow(ctx context.Context, tx *store.Tx, bankCode, flowID string, now time.Time) (flow, error) {
	var f flow
	if !flowIDRE.MatchString(flowID) {
		return f, errFlowGone
	}
	err := tx.QueryRow(ctx, `SELECT id_hash, bank_code, client_id, redirect_uri, state, code_challenge, stage, account_id,
		login_attempts, otp_attempts, otp_hash, otp_expires_at, expires_at
		FROM sandbox_bank_flows WHERE id_hash = ?`, hashSecret(flowID)).Scan(
		&f.idHash, &f.bankCode, &f.clientID, &f.redirectURI, &f.state, &f.challenge, &f.stage, &f.accountID,
		&f.loginAttempts, &f.otpAttempts, &f.otpHash, &f.otpExpiresAt, &f.expiresAt)
	if errors.Is(err, store.ErrNoRows) {
		return f, errFlowGone
	}
	if err != nil {
		return f, fmt.Errorf("load flow: %w", err)
	}
	if f.bankCode != bankCode || f.expiresAt <= ms(now) || f.stage == stageDone || f.stage == stageFailed {
		return f, errFlowGone
	}
	return f, nil
}

func (f flow) redirectHost() string {
	u, err := url.Parse(f.redirectURI)
	if err != nil {
		return ""
	}
	return u.Host
}

// bankPage is the page data every bank page starts from.
func bankPage(b bank, title string) pageData {
	return pageData{Title: title, BankCode: b.code, BankNameJA: b.nameJA, BankNameEN: b.nameEN}
}

// withQuery returns raw with the parameters added to its query.
func withQuery(raw string, params url.Values) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// parseForm reads a bounded urlencoded form.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, formBytesMax)
	return r.ParseForm() == nil
}

// flowGone renders the page for a flow that cannot continue.
func (s *Sandbox) flowGone(w http.ResponseWriter, b bank) {
	s.message(w, http.StatusBadRequest, bankPage(b, "エラー"),
		"この手続きは無効か期限切れです。連携元のサービスからもう一度やり直してください。",
		"This session is invalid or has expired. Start again from the service you came from.")
}

// maskPhone shows only the last 4 digits: +81 90-****-0001.
func maskPhone(p string) string {
	if len(p) < 4 {
		return "****"
	}
	return "+81 ••-••••-" + p[len(p)-4:]
}
