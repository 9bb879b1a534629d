package funding

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

// Bank link statuses.
const (
	LinkPending  = "pending"  // waiting for the user at the bank's consent screen
	LinkActive   = "active"   // usable for top-ups; withdrawals after the wait
	LinkRejected = "rejected" // consent denied, code invalid, or names differ
	LinkRemoved  = "removed"
)

// BankLink is a bank account linked through the bank's consent screen.
type BankLink struct {
	ID                    string
	UserID                string
	BankCode              string
	Status                string
	AccountLast4          string
	RejectReason          string
	AuthorizeURL          string // only when just started
	CreatedAt             time.Time
	UsableForWithdrawalAt time.Time

	accountID, holderPhone, verifierSealed, accessSealed, refreshSealed string
	expiresAt, tokenExpiresAt                                           int64
	web                                                                 int64 // Client.Web when started
}

const linkCols = `id, user_id, bank_code, status, account_last4, reject_reason, created_at, usable_for_withdrawal_at,
	account_id, holder_phone, verifier_sealed, access_sealed, refresh_sealed, expires_at, token_expires_at, web`

func scanLink(r interface{ Scan(...any) error }) (BankLink, error) {
	var l BankLink
	var created, usable int64
	err := r.Scan(&l.ID, &l.UserID, &l.BankCode, &l.Status, &l.AccountLast4, &l.RejectReason, &created, &usable,
		&l.accountID, &l.holderPhone, &l.verifierSealed, &l.accessSealed, &l.refreshSealed, &l.expiresAt, &l.tokenExpiresAt, &l.web)
	l.CreatedAt, l.UsableForWithdrawalAt = fromMS(created), fromMS(usable)
	return l, err
}

var bankCodeRE = regexp.MustCompile(`^[0-9]{4}$`)

// callbackURL is where the bank sends the browser back to: the web
// wallet's page for a link started there (web 1), else the API's.
func (s *Service) callbackURL(web int64) string {
	if web == 1 {
		return s.public + WebBankCallbackPath
	}
	return s.public + "/api/v1/bank-links/callback"
}

func verifierAAD(id string) []byte { return []byte("bank_link_verifier:" + id) }
func accessAAD(id string) []byte   { return []byte("bank_access_token:" + id) }
func refreshAAD(id string) []byte  { return []byte("bank_refresh_token:" + id) }

// StartBankLink begins linking an account at bankCode for the session's
// user, who must be KYC-verified, from a privileged session on client c
// (its device and address are what the risk rules count): it stores a
// single-use state (hashed) and a PKCE verifier (sealed) and returns the
// bank's consent URL to send the browser to.
// Errors: apperr.ReauthRequired, apperr.Unauthenticated (session ended),
// apperr.KYCRequired, apperr.Invalid (bank code), apperr.RateLimited,
// apperr.LimitExceeded, apperr.CapabilityDisabled, apperr.AccountFrozen,
// apperr.RiskDeclined, apperr.StepUpRequired.
func (s *Service) StartBankLink(ctx context.Context, sess identity.Session, c Client, bankCode string) (BankLink, error) {
	// A new source and destination of money: a strong authentication
	// within the last minutes, as the session is stored now.
	if err := s.users.RequirePrivileged(ctx, sess); err != nil {
		return BankLink{}, err
	}
	userID := sess.UserID
	if err := s.wallet.CheckCapability(ctx, ops.CapBankLink); err != nil {
		return BankLink{}, err
	}
	// A frozen account (suspected takeover) gains no card or bank link and
	// charges none: 7pay's attackers charged their victims' cards.
	if err := s.wallet.CheckFrozen(ctx, userID); err != nil {
		return BankLink{}, err
	}
	if !bankCodeRE.MatchString(bankCode) {
		return BankLink{}, apperr.E(apperr.Invalid, "bank_code must be 4 digits").JA("金融機関コードは4桁の数字で指定してください")
	}
	u, err := s.users.User(ctx, userID)
	if err != nil {
		return BankLink{}, err
	}
	if err := s.hit(ctx, "bank_link:user:"+userID, s.lim.LinkAttemptsUser, s.lim.LinkAttemptsWindow); err != nil {
		return BankLink{}, err
	}
	// docomo-koza: the rules see every attempt, with the user's real
	// identity verification (a wallet without it links nothing), and one
	// device or network linking accounts for several names is held for a
	// person; a link has nothing to hold, so it is refused.
	verified := u.KYCStatus == identity.KYCVerified && u.KYCName != ""
	name := ""
	if verified {
		name = u.KYCName
	}
	d, cur, err := s.decide(ctx, sess, risk.KindBankLink, risk.Subject{KYCName: name, DeviceID: c.DeviceID, IP: ipOf(c.IP)},
		risk.Features{"kyc_verified": verified})
	if err != nil {
		return BankLink{}, err
	}
	// The fixed control stays the floor, and its answer the API's
	// (kyc_required), whatever the rules said: the decision is recorded.
	if !verified {
		return BankLink{}, apperr.E(apperr.KYCRequired, "verify your identity before linking a bank account").JA("銀行口座の連携には本人確認が必要です")
	}
	if err := s.refuseOrStepUp(ctx, d, cur); err != nil {
		return BankLink{}, err
	}
	var active int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM funding_bank_links WHERE user_id = ? AND status = ?`, userID, LinkActive).Scan(&active); err != nil {
		return BankLink{}, fmt.Errorf("funding: count links: %w", err)
	}
	// An early answer only: FinishBankLink counts again, under the lock
	// that makes the count and the activation one step.
	if active >= s.lim.LinksPerUserMax {
		return BankLink{}, linkLimitErr(s.lim.LinksPerUserMax)
	}
	l := BankLink{ID: newID("bl_"), UserID: userID, BankCode: bankCode, Status: LinkPending, web: b2i(c.Web)}
	state := randSecret()
	verifier, challenge := connector.NewPKCE()
	if l.AuthorizeURL, err = s.bank.AuthorizeURL(bankCode, state, challenge, s.callbackURL(l.web)); err != nil {
		return BankLink{}, counterpartErr("authorize URL", err)
	}
	sealed, err := s.box.Seal([]byte(verifier), verifierAAD(l.ID))
	if err != nil {
		return BankLink{}, fmt.Errorf("funding: seal verifier: %w", err)
	}
	now := s.now()
	l.CreatedAt = now
	claim := idem.From(ctx)
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO funding_bank_links (id, user_id, bank_code, status, state_hash, verifier_sealed, expires_at, created_at, updated_at, web)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, l.ID, userID, bankCode, LinkPending, hashHex(state), sealed,
			ms(now.Add(s.lim.LinkTTL)), ms(now), ms(now), l.web)
		if err != nil {
			return err
		}
		return claim.Bind(ctx, tx, idem.KindBankLink, l.ID)
	})
	if err != nil {
		return BankLink{}, fmt.Errorf("funding: insert link: %w", err)
	}
	return l, nil
}

// link returns userID's bank link; errLinkNotFound for another user's.
func (s *Service) link(ctx context.Context, userID, id string) (BankLink, error) {
	l, err := scanLink(s.db.QueryRow(ctx, `SELECT `+linkCols+` FROM funding_bank_links WHERE id = ? AND user_id = ?`, id, userID))
	if errors.Is(err, store.ErrNoRows) {
		return BankLink{}, errLinkNotFound
	}
	if err != nil {
		return BankLink{}, fmt.Errorf("funding: read link: %w", err)
	}
	return l, nil
}

// BankLink returns userID's bank link. Errors: apperr.NotFound.
func (s *Service) BankLink(ctx context.Context, userID, id string) (BankLink, error) {
	return s.link(ctx, userID, id)
}

// linksListMax bounds BankLinks.
const linksListMax = 100

// BankLinks lists userID's links that are active or pending, newest first.
func (s *Service) BankLinks(ctx context.Context, userID string) ([]BankLink, error) {
	rows, err := s.db.Query(ctx, `SELECT `+linkCols+` FROM funding_bank_links WHERE user_id = ? AND status IN (?, ?)
		ORDER BY created_at DESC, id DESC LIMIT ?`, userID, LinkActive, LinkPending, linksListMax)
	if err != nil {
		return nil, fmt.Errorf("funding: list links: %w", err)
	}
	defer rows.Close()
	out := []BankLink{}
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, fmt.Errorf("funding: list links: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// RemoveBankLink unlinks userID's account at once.
// Errors: apperr.NotFound.
func (s *Service) RemoveBankLink(ctx context.Context, userID, id string) error {
	res, err := s.db.Exec(ctx, `UPDATE funding_bank_links SET status = ?, access_sealed = '', refresh_sealed = '', updated_at = ?
		WHERE id = ? AND user_id = ? AND status IN (?, ?)`, LinkRemoved, ms(s.now()), id, userID, LinkActive, LinkPending)
	if err != nil {
		return fmt.Errorf("funding: remove link: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errLinkNotFound
	}
	return nil
}

// tokenRefreshMargin: a token this close to expiry is refreshed first.
const tokenRefreshMargin = time.Minute

// accessToken returns a live access token of an active link, refreshing
// (and re-sealing) it when it is about to expire.
func (s *Service) accessToken(ctx context.Context, l BankLink) (string, error) {
	tok, err := s.box.Open(l.accessSealed, accessAAD(l.ID))
	if err != nil {
		return "", fmt.Errorf("funding: open bank token: %w", err)
	}
	if l.tokenExpiresAt == 0 || s.now().Add(tokenRefreshMargin).UnixMilli() < l.tokenExpiresAt || l.refreshSealed == "" {
		return string(tok), nil
	}
	rt, err := s.box.Open(l.refreshSealed, refreshAAD(l.ID))
	if err != nil {
		return "", fmt.Errorf("funding: open refresh token: %w", err)
	}
	nt, err := s.bank.Refresh(ctx, l.BankCode, string(rt))
	if err != nil {
		return "", counterpartErr("refresh bank token", err)
	}
	access, refresh, err := s.sealTokens(l.ID, nt)
	if err != nil {
		return "", err
	}
	if _, err := s.db.Exec(ctx, `UPDATE funding_bank_links SET access_sealed = ?, refresh_sealed = ?, token_expires_at = ?, updated_at = ? WHERE id = ?`,
		access, refresh, ms(nt.ExpiresAt), ms(s.now()), l.ID); err != nil {
		return "", fmt.Errorf("funding: store refreshed token: %w", err)
	}
	return nt.AccessToken, nil
}

func (s *Service) sealTokens(id string, t connector.Token) (access, refresh string, err error) {
	if access, err = s.box.Seal([]byte(t.AccessToken), accessAAD(id)); err != nil {
		return "", "", fmt.Errorf("funding: seal token: %w", err)
	}
	if t.RefreshToken != "" {
		if refresh, err = s.box.Seal([]byte(t.RefreshToken), refreshAAD(id)); err != nil {
			return "", "", fmt.Errorf("funding: seal token: %w", err)
		}
	}
	return access, refresh, nil
}

func linkLimitErr(linksMax int) error {
	return apperr.E(apperr.LimitExceeded, fmt.Sprintf("at most %d linked bank accounts", linksMax)).
		JA(fmt.Sprintf("連携できる銀行口座は %d 件までです", linksMax))
}
