package wallet

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/store"
)

// The flows limits apply to.
const (
	FlowPayment    = "payment"
	FlowP2P        = "p2p"
	FlowTopup      = "topup"
	FlowWithdrawal = "withdrawal"
)

// FlowLimit bounds one flow: per transaction, per rolling day (24 h) and
// per rolling month (30 days), in minor units. Zero means "not allowed".
type FlowLimit struct {
	PerTransaction int64 `json:"per_transaction"`
	PerDay         int64 `json:"per_day"`
	PerMonth       int64 `json:"per_month"`
}

// Limits are the flow limits of each KYC level ("none", "verified").
type Limits map[string]map[string]FlowLimit

// TransferCeiling is the legal ceiling of one fund transfer (資金決済法:
// 1,000,000 JPY for a type II fund transfer service).
const TransferCeiling = 1_000_000

const (
	dayWindow   = 24 * time.Hour
	monthWindow = 30 * 24 * time.Hour
)

// DefaultLimits: unverified users hold only money lite, with prepaid-card
// sized limits; verified users up to the legal ceiling per transfer.
func DefaultLimits() Limits {
	return Limits{
		identity.KYCNone: {
			FlowPayment:    {PerTransaction: 100_000, PerDay: 300_000, PerMonth: 1_000_000},
			FlowTopup:      {PerTransaction: 100_000, PerDay: 300_000, PerMonth: 1_000_000},
			FlowP2P:        {},
			FlowWithdrawal: {},
		},
		identity.KYCVerified: {
			FlowPayment:    {PerTransaction: TransferCeiling, PerDay: 2_000_000, PerMonth: 5_000_000},
			FlowTopup:      {PerTransaction: TransferCeiling, PerDay: 2_000_000, PerMonth: 5_000_000},
			FlowP2P:        {PerTransaction: TransferCeiling, PerDay: 1_000_000, PerMonth: 3_000_000},
			FlowWithdrawal: {PerTransaction: TransferCeiling, PerDay: 2_000_000, PerMonth: 5_000_000},
		},
	}
}

// withDefaults fills missing levels and flows from DefaultLimits and caps
// every per-transaction limit at TransferCeiling.
func (l Limits) withDefaults() Limits {
	out := DefaultLimits()
	for level, flows := range l {
		if out[level] == nil {
			out[level] = map[string]FlowLimit{}
		}
		for flow, fl := range flows {
			out[level][flow] = fl
		}
	}
	for _, flows := range out {
		for flow, fl := range flows {
			fl.PerTransaction = min(fl.PerTransaction, TransferCeiling)
			flows[flow] = fl
		}
	}
	return out
}

// level maps a KYC status to its limit level: only "verified" is verified.
func level(kycStatus string) string {
	if kycStatus == identity.KYCVerified {
		return identity.KYCVerified
	}
	return identity.KYCNone
}

// LimitsFor returns the flow limits of a user's KYC status.
func (s *Service) LimitsFor(kycStatus string) map[string]FlowLimit {
	return s.limits[level(kycStatus)]
}

func limitExceeded(what string) error {
	return apperr.E(apperr.LimitExceeded, "amount over the "+what+" limit").JA("利用上限を超えています")
}

// ReserveLimitID reserves amount of the user's limit for flow: it checks the
// per-transaction limit of the user's KYC level and adds the amount to the
// rolling day and month if both stay within their limits, atomically (a
// per-user row lock serialises concurrent reservations, so a parallel
// burst cannot overshoot), and returns the reservation's id. The
// reservation is pending: the transaction that writes the movement's row
// confirms it (ConfirmLimit) and the row keeps its id, so that whoever
// ends the movement failed, now or in a later request or reconciler, gives
// it back (ReleaseLimit, ReleaseLimitTx); one never confirmed lapses after
// LimitPendingTTL (ExpireLimits). A successful movement keeps its
// reservation, which counts for 30 days.
// Errors: apperr.LimitExceeded, apperr.Invalid (amount not positive).
func (s *Service) ReserveLimitID(ctx context.Context, userID, flow string, amount int64) (string, error) {
	return s.reserveLimit(ctx, userID, flow, amount)
}

// ReleaseLimit gives back the reservation id (from ReserveLimitID) of a
// movement that did not happen; releasing twice, or "", is harmless.
func (s *Service) ReleaseLimit(ctx context.Context, id string) { s.releaseLimit(ctx, id) }

// LimitPendingTTL is how long a reservation stays pending before the
// movement's row must have confirmed it (ConfirmLimit); after it,
// ExpireLimits gives it back. Between the reservation and the row there
// is one database write (milliseconds; a request's whole budget is under
// a minute), so a confirmation never comes this late but after a crash.
const LimitPendingTTL = 5 * time.Minute

// errLimitLapsed: the reservation lapsed before its movement's row was
// written (the node stalled longer than LimitPendingTTL).
var errLimitLapsed = apperr.E(apperr.Unavailable, "the request took too long; try again").JA("処理に時間がかかりすぎました。もう一度お試しください")

// ConfirmLimit makes the pending reservation id (from ReserveLimitID) the
// movement's, in tx: the transaction that writes the row naming it, so
// that a reservation is either named by a row (which releases it when the
// movement fails) or pending and expired by ExpireLimits, never lost.
// Call it before writing the row. Errors: apperr.Unavailable when the
// reservation has already lapsed (the movement must not go on).
func (s *Service) ConfirmLimit(ctx context.Context, tx *store.Tx, id string) error {
	return confirmLimit(ctx, tx, id)
}

func confirmLimit(ctx context.Context, tx *store.Tx, id string) error {
	res, err := tx.Exec(ctx, `UPDATE wallet_limit_usage SET pending_until = 0 WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("wallet: confirm limit: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("wallet: confirm limit: %w", err)
	} else if n != 1 {
		return errLimitLapsed
	}
	return nil
}

// ReleaseLimitTx is ReleaseLimit in tx: the transaction that ends the
// movement failed, so that the end and the release commit together.
func (s *Service) ReleaseLimitTx(ctx context.Context, tx *store.Tx, id string) error {
	if id == "" {
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM wallet_limit_usage WHERE id = ?`, id); err != nil {
		return fmt.Errorf("wallet: release limit: %w", err)
	}
	return nil
}

// expireLimitsMax bounds the lapsed reservations one ExpireLimits call
// deletes (one statement; the rest wait for the next run).
const expireLimitsMax = 1000

// ExpireLimits gives back reservations still pending after
// LimitPendingTTL: their movement's row was never written (a crash between
// the reservation and the row). It returns how many it gave back.
func (s *Service) ExpireLimits(ctx context.Context) (int, error) {
	var n int64
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM wallet_limit_usage WHERE id IN (SELECT id FROM wallet_limit_usage
			WHERE pending_until <> 0 AND pending_until <= ? LIMIT ?)`, ms(s.now()), expireLimitsMax)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("wallet: expire limit reservations: %w", err)
	}
	return int(n), nil
}

// reserveLimit is ReserveLimit returning the reservation's id, which a
// movement keeps on its row so that a reconciler can release it later.
func (s *Service) reserveLimit(ctx context.Context, userID, flow string, amount int64) (string, error) {
	return s.reserve(ctx, userID, flow, amount, nil)
}

// reserve is reserveLimit; with a payer (merchant payments) it also holds
// the payer to the cooling-off cap (stepup.go): errCoolingOffCap when the
// flow's total since the period began would pass it.
func (s *Service) reserve(ctx context.Context, userID, flow string, amount int64, py *payer) (string, error) {
	if amount <= 0 {
		return "", apperr.E(apperr.Invalid, "amount must be positive").JA("金額は1以上にしてください")
	}
	u, err := s.id.User(ctx, userID)
	if err != nil {
		return "", err
	}
	fl, ok := s.LimitsFor(u.KYCStatus)[flow]
	if !ok {
		return "", fmt.Errorf("wallet: unknown flow %q", flow)
	}
	if fl.PerTransaction == 0 && u.KYCStatus != identity.KYCVerified {
		return "", apperr.E(apperr.KYCRequired, "identity verification required").JA("本人確認が必要です")
	}
	id := newID("lim_")
	now := s.now()
	var capSince time.Time
	if py != nil {
		capSince = py.capSince(u, now)
	}
	// A refusal is the item's outcome (store.GroupCommit): its writes are
	// rolled back, the others in its batch commit.
	err = s.commits.Do(ctx, func(ctx context.Context, tx *store.Tx) error {
		// Take the user's row lock first (an UPDATE locks on both engines).
		if _, err := tx.Exec(ctx, `INSERT INTO wallet_limit_users (user_id, version) VALUES (?, 0) ON CONFLICT (user_id) DO NOTHING`, userID); err != nil {
			return fmt.Errorf("wallet: limit row: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE wallet_limit_users SET version = version + 1 WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("wallet: limit lock: %w", err)
		}
		// An operator's limit for this user replaces the level's (read
		// under the user's lock, so a change applies to the next
		// reservation); the level still decides whether the flow is open.
		fl := fl
		if ul, ok, err := userLimit(ctx, tx, userID, flow); err != nil {
			return err
		} else if ok {
			fl = ul
		}
		if amount > fl.PerTransaction {
			return limitExceeded("per-transaction")
		}
		var day, month int64
		err := tx.QueryRow(ctx, `SELECT
				CAST(COALESCE(SUM(CASE WHEN created_at > ? THEN amount ELSE 0 END), 0) AS BIGINT),
				CAST(COALESCE(SUM(amount), 0) AS BIGINT)
			FROM wallet_limit_usage WHERE user_id = ? AND flow = ? AND created_at > ?`,
			ms(now.Add(-dayWindow)), userID, flow, ms(now.Add(-monthWindow))).Scan(&day, &month)
		if err != nil {
			return fmt.Errorf("wallet: limit usage: %w", err)
		}
		if day+amount > fl.PerDay {
			return limitExceeded("daily")
		}
		if month+amount > fl.PerMonth {
			return limitExceeded("monthly")
		}
		if !capSince.IsZero() {
			var since int64
			if err := tx.QueryRow(ctx, `SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM wallet_limit_usage
				WHERE user_id = ? AND flow = ? AND created_at >= ?`, userID, flow, ms(capSince)).Scan(&since); err != nil {
				return fmt.Errorf("wallet: cooling-off usage: %w", err)
			}
			if since+amount > s.coolCap {
				return errCoolingOffCap
			}
		}
		// Pending until the movement's row confirms it (ConfirmLimit).
		if _, err := tx.Exec(ctx, `INSERT INTO wallet_limit_usage (id, user_id, flow, amount, created_at, pending_until) VALUES (?, ?, ?, ?, ?, ?)`,
			id, userID, flow, amount, ms(now), ms(now.Add(LimitPendingTTL))); err != nil {
			return fmt.Errorf("wallet: reserve limit: %w", err)
		}
		// Reservations older than the month window no longer count.
		_, err = tx.Exec(ctx, `DELETE FROM wallet_limit_usage WHERE user_id = ? AND created_at <= ?`, userID, ms(now.Add(-monthWindow-dayWindow)))
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// releaseLimit gives a failed movement's reservation back. It runs even
// when ctx was cancelled; releasing an id twice is harmless.
func (s *Service) releaseLimit(ctx context.Context, id string) {
	if id == "" {
		return
	}
	bctx := background(ctx)
	err := s.db.Write(bctx, func(tx *store.Tx) error {
		_, err := tx.Exec(bctx, `DELETE FROM wallet_limit_usage WHERE id = ?`, id)
		return err
	})
	if err != nil {
		s.log.Error("wallet: release limit", "err", err)
	}
}

// usage returns what the user used of flow in the rolling day and month.
func (s *Service) usage(ctx context.Context, userID, flow string) (day, month int64, err error) {
	now := s.now()
	err = s.db.QueryRow(ctx, `SELECT
			CAST(COALESCE(SUM(CASE WHEN created_at > ? THEN amount ELSE 0 END), 0) AS BIGINT),
			CAST(COALESCE(SUM(amount), 0) AS BIGINT)
		FROM wallet_limit_usage WHERE user_id = ? AND flow = ? AND created_at > ?`,
		ms(now.Add(-dayWindow)), userID, flow, ms(now.Add(-monthWindow))).Scan(&day, &month)
	return
}
