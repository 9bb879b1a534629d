package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// Token lifetimes: access tokens last long enough for the top-ups and
// withdrawals of a linked account; refresh tokens rotate on every use.
const (
	accessTokenTTL  = 90 * 24 * time.Hour
	refreshTokenTTL = 365 * 24 * time.Hour
)

// verifierRE is RFC 7636 §4.1: 43–128 unreserved characters.
var verifierRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// oauthError is an RFC 6749 §5.2 error answer.
type oauthError struct{ code, desc string }

func (e *oauthError) Error() string { return e.code + ": " + e.desc }

func grantErr(desc string) *oauthError { return &oauthError{"invalid_grant", desc} }

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// handleToken is the token endpoint (RFC 6749 §4.1.3 and §6): grant_type
// authorization_code (with PKCE) or refresh_token, form-encoded.
func (s *Sandbox) handleToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	b, err := s.findBank(ctx, r.PathValue("bank"))
	if err != nil {
		s.writeErr(w, r, errNotFound)
		return
	}
	if !parseForm(w, r) {
		s.oauthFail(w, r, &oauthError{"invalid_request", "malformed form body"})
		return
	}
	form := r.PostForm
	clientID := form.Get("client_id")
	if !clientIDRE.MatchString(clientID) {
		s.oauthFail(w, r, &oauthError{"invalid_client", "client_id required"})
		return
	}
	now := s.clock()
	var ans tokenAnswer
	var fail *oauthError
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		fail = nil
		var err error
		switch form.Get("grant_type") {
		case "authorization_code":
			ans, fail, err = s.exchangeCode(tx, r, b.code, clientID, now)
		case "refresh_token":
			ans, fail, err = s.refresh(tx, r, b.code, clientID, now)
		default:
			fail = &oauthError{"unsupported_grant_type", "grant_type must be authorization_code or refresh_token"}
		}
		return err
	})
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	if fail != nil {
		s.oauthFail(w, r, fail)
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, ans)
}

// exchangeCode redeems an authorization code. Any failed attempt burns the
// code, and a replayed code revokes the tokens it produced (RFC 6749
// §4.1.2): whoever replays it cannot keep what the first use got.
func (s *Sandbox) exchangeCode(tx *store.Tx, r *http.Request, bankCode, clientID string, now time.Time) (tokenAnswer, *oauthError, error) {
	ctx := r.Context()
	code, verifier, redirectURI := r.PostForm.Get("code"), r.PostForm.Get("code_verifier"), r.PostForm.Get("redirect_uri")
	if code == "" || verifier == "" || redirectURI == "" {
		return tokenAnswer{}, &oauthError{"invalid_request", "code, code_verifier and redirect_uri are required"}, nil
	}
	codeHash := hashSecret(code)
	var c struct {
		bank, client, redirect, challenge, account string
		expiresAt, usedAt                          int64
	}
	err := tx.QueryRow(ctx, `SELECT bank_code, client_id, redirect_uri, code_challenge, account_id, expires_at, used_at
		FROM sandbox_bank_codes WHERE code_hash = ?`, codeHash).Scan(
		&c.bank, &c.client, &c.redirect, &c.challenge, &c.account, &c.expiresAt, &c.usedAt)
	if errors.Is(err, store.ErrNoRows) {
		return tokenAnswer{}, grantErr("unknown authorization code"), nil
	}
	if err != nil {
		return tokenAnswer{}, nil, err
	}
	if c.usedAt != 0 {
		_, err := tx.Exec(ctx, `UPDATE sandbox_bank_tokens SET revoked_at = ? WHERE grant_hash = ? AND revoked_at = 0`, ms(now), codeHash)
		return tokenAnswer{}, grantErr("authorization code already used; its tokens are revoked"), err
	}
	if _, err := tx.Exec(ctx, `UPDATE sandbox_bank_codes SET used_at = ? WHERE code_hash = ?`, ms(now), codeHash); err != nil {
		return tokenAnswer{}, nil, err
	}
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	switch {
	case c.bank != bankCode || c.client != clientID:
		return tokenAnswer{}, grantErr("authorization code was issued to another client or bank"), nil
	case c.expiresAt <= ms(now):
		return tokenAnswer{}, grantErr("authorization code expired"), nil
	case c.redirect != redirectURI:
		return tokenAnswer{}, grantErr("redirect_uri differs from the authorization request"), nil
	case !verifierRE.MatchString(verifier) || subtle.ConstantTimeCompare([]byte(challenge), []byte(c.challenge)) != 1:
		return tokenAnswer{}, grantErr("PKCE verification failed"), nil
	}
	ans, err := s.issueTokens(tx, r, bankCode, c.account, clientID, codeHash, now)
	return ans, nil, err
}

// refresh rotates a refresh token: the old one stops working.
func (s *Sandbox) refresh(tx *store.Tx, r *http.Request, bankCode, clientID string, now time.Time) (tokenAnswer, *oauthError, error) {
	ctx := r.Context()
	rt := r.PostForm.Get("refresh_token")
	if rt == "" {
		return tokenAnswer{}, &oauthError{"invalid_request", "refresh_token is required"}, nil
	}
	var account, client, grant string
	err := tx.QueryRow(ctx, `SELECT account_id, client_id, grant_hash FROM sandbox_bank_tokens
		WHERE token_hash = ? AND kind = 'refresh' AND bank_code = ? AND revoked_at = 0 AND expires_at > ?`,
		hashSecret(rt), bankCode, ms(now)).Scan(&account, &client, &grant)
	if errors.Is(err, store.ErrNoRows) || (err == nil && client != clientID) {
		return tokenAnswer{}, grantErr("unknown, expired or revoked refresh token"), nil
	}
	if err != nil {
		return tokenAnswer{}, nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE sandbox_bank_tokens SET revoked_at = ? WHERE token_hash = ?`, ms(now), hashSecret(rt)); err != nil {
		return tokenAnswer{}, nil, err
	}
	ans, err := s.issueTokens(tx, r, bankCode, account, clientID, grant, now)
	return ans, nil, err
}

func (s *Sandbox) issueTokens(tx *store.Tx, r *http.Request, bankCode, account, clientID, grant string, now time.Time) (tokenAnswer, error) {
	access, refresh := randToken("sbat_", 32), randToken("sbrt_", 32)
	for _, t := range []struct {
		tok, kind string
		ttl       time.Duration
	}{{access, "access", accessTokenTTL}, {refresh, "refresh", refreshTokenTTL}} {
		if _, err := tx.Exec(r.Context(), `INSERT INTO sandbox_bank_tokens
			(token_hash, kind, bank_code, account_id, client_id, grant_hash, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			hashSecret(t.tok), t.kind, bankCode, account, clientID, grant, ms(now.Add(t.ttl)), ms(now)); err != nil {
			return tokenAnswer{}, err
		}
	}
	return tokenAnswer{
		AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(accessTokenTTL / time.Second),
		RefreshToken: refresh, Scope: "holder debit credit",
	}, nil
}

func (s *Sandbox) oauthFail(w http.ResponseWriter, r *http.Request, e *oauthError) {
	status := http.StatusBadRequest
	if e.code == "invalid_client" {
		status = http.StatusUnauthorized
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, map[string]string{"error": e.code, "error_description": e.desc})
}
