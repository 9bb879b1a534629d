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

// ReserveLimit reserves amount of the user's limit for flow: it checks the
// per-transaction limit of the user's KYC level and adds the amount to the
// rolling day and month if both stay within their limits, atomically (a
// per-user row lock serialises concurrent reservations, so a parallel
// burst cannot overshoot). Call release when the movement failed; a
// successful movement keeps its reservation, which counts for 30 days.
// Errors: apperr.LimitExceeded, apperr.Invalid (amount not positive).
func (s *Service) ReserveLimit(ctx context.Context, userID, flow string, amount int64) (release func(context.Context), err error) {
	id, err := s.reserveLimit(ctx, userID, flow, amount)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) { s.releaseLimit(ctx, id) }, nil
}

// ReserveLimitID is ReserveLimit for a movement that may fail later, in
// another request (a held withdrawal cancelled or refused by the bank): it
// returns the reservation's id, which the movement keeps on its row and
// passes to ReleaseLimit then.
func (s *Service) ReserveLimitID(ctx context.Context, userID, flow string, amount int64) (string, error) {
	return s.reserveLimit(ctx, userID, flow, amount)
}

// ReleaseLimit gives back the reservation id (from ReserveLimitID) of a
// movement that did not happen; releasing twice, or "", is harmless.
func (s *Service) ReleaseLimit(ctx context.Context, id string) { s.releaseLimit(ctx, id) }

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
	if amount > fl.PerTransaction {
		return "", limitExceeded("per-transaction")
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
		if _, err := tx.Exec(ctx, `INSERT INTO wallet_limit_usage (id, user_id, flow, amount, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, userID, flow, amount, ms(now)); err != nil {
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
