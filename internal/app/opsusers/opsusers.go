// Package opsusers is the adapter that gives the operators (package ops)
// the user side they need — identity's accounts and sessions, the
// wallet's balances, notices and held transfers, funding's held
// withdrawals — without ops
// importing those packages (they import ops). internal/app wires it; the
// httpapi tests wire the same adapter.
package opsusers

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// Users implements ops.Users. Its fields are set while the app is built
// (the operators are built before the wallet and funding) and never
// after it serves; Funding is nil when funding is off.
type Users struct {
	Identity *identity.Service
	Wallet   *wallet.Service
	Funding  *funding.Service
	// Risk gives the reasons of the decisions that held a review's item.
	Risk *risk.Engine
}

var _ ops.Users = (*Users)(nil)

// userDecisionsMax bounds the risk decisions on a user's page.
const userDecisionsMax = 20

// FindByEmail finds a user by address, normalised as identity does.
func (u *Users) FindByEmail(ctx context.Context, email string) (string, error) {
	usr, err := u.Identity.UserByEmail(ctx, email)
	if err != nil {
		return "", err
	}
	return usr.ID, nil
}

// Exists answers apperr.NotFound for an unknown user.
func (u *Users) Exists(ctx context.Context, userID string) error {
	_, err := u.Identity.User(ctx, userID)
	return err
}

// Page gathers what an operator sees of a user.
func (u *Users) Page(ctx context.Context, userID string) (ops.UserPage, error) {
	v, err := u.Identity.OperatorView(ctx, userID)
	if err != nil {
		return ops.UserPage{}, err
	}
	p := ops.UserPage{
		ID: v.ID, Email: v.Email, Lang: v.Lang, CreatedAt: v.CreatedAt,
		KYC:               ops.UserKYC{Status: v.KYCStatus, Name: v.KYCName},
		Factors:           []ops.UserFactor{{Kind: identity.FactorPassword, EnrolledAt: v.PasswordSetAt}},
		RecoveryCodesLeft: v.RecoveryCodesLeft,
		AccountHold:       v.Hold,
		CoolingOffUntil:   v.CoolingOffUntil,
	}
	if !v.TOTPEnrolledAt.IsZero() {
		p.Factors = append(p.Factors, ops.UserFactor{Kind: identity.FactorTOTP, EnrolledAt: v.TOTPEnrolledAt})
	}
	for _, at := range v.Passkeys {
		p.Factors = append(p.Factors, ops.UserFactor{Kind: identity.FactorPasskey, EnrolledAt: at})
	}
	for _, s := range v.Sessions {
		p.Sessions = append(p.Sessions, ops.UserSession{ID: s.ID, Factors: s.Factors, IP: s.IP, UserAgent: s.UserAgent,
			CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt, ExpiresAt: s.ExpiresAt})
	}
	for _, d := range v.Devices {
		p.Devices = append(p.Devices, ops.UserDevice{UserAgent: d.UserAgent, FirstSeen: d.FirstSeen, LastSeen: d.LastSeen, RecognisedAt: d.RecognisedAt})
	}
	for _, l := range v.Logins {
		p.RecentLogins = append(p.RecentLogins, ops.UserLogin{At: l.At, IP: l.IP, OK: l.OK})
	}
	for _, e := range v.Events {
		p.CredentialChanges = append(p.CredentialChanges, ops.UserEvent{At: e.At, Actor: e.Actor, Action: e.Action, IP: e.IP, Detail: e.Detail})
	}
	if u.Wallet != nil {
		b, err := u.Wallet.Balance(ctx, userID)
		if err != nil {
			return ops.UserPage{}, err
		}
		p.Balances = ops.UserBalances{Currency: b.Currency, Money: b.Money, MoneyLite: b.MoneyLite}
		own, err := u.Wallet.UserLimits(ctx, userID)
		if err != nil {
			return ops.UserPage{}, err
		}
		for _, l := range own {
			p.Limits = append(p.Limits, ops.UserLimit{Flow: l.Flow, PerTransaction: l.PerTransaction, PerDay: l.PerDay,
				PerMonth: l.PerMonth, UpdatedBy: l.UpdatedBy, Reason: l.Reason, UpdatedAt: l.UpdatedAt})
		}
	}
	if u.Risk != nil {
		ds, err := u.Risk.DecisionsFor(ctx, userID, userDecisionsMax)
		if err != nil {
			return ops.UserPage{}, err
		}
		for _, d := range ds {
			p.Decisions = append(p.Decisions, userDecision(d))
		}
	}
	if u.Funding != nil {
		held, err := u.Funding.HeldWithdrawals(ctx, userID)
		if err != nil {
			return ops.UserPage{}, err
		}
		for _, w := range held {
			p.Holds = append(p.Holds, ops.UserHold{WithdrawalID: w.ID, Amount: w.Amount, Reason: w.HoldReason,
				ReleaseAt: w.ReleaseAt, CreatedAt: w.CreatedAt})
		}
	}
	return p, nil
}

// EndSessions ends every session of the user in tx (identity).
func (u *Users) EndSessions(ctx context.Context, tx *store.Tx, userID, actor, reason string) error {
	return u.Identity.EndAllSessions(ctx, tx, userID, actor, reason)
}

// Tell records the notice in the user's notifications and mails it, in
// tx (the wallet's notices); without a wallet, nobody is told.
func (u *Users) Tell(ctx context.Context, tx *store.Tx, userID, notice string) error {
	if u.Wallet == nil {
		return nil
	}
	return u.Wallet.NotifyTx(ctx, tx, userID, notice, nil)
}

// Kick wakes the mail outbox.
func (u *Users) Kick() {
	if u.Wallet != nil {
		u.Wallet.Kick()
	}
}

// ResolveHold lifts identity's account hold.
func (u *Users) ResolveHold(ctx context.Context, userID, keepEmail, actor, note string) error {
	return u.Identity.ResolveHold(ctx, userID, keepEmail, actor, note)
}

// CheckLimit validates a limit as the wallet will apply it.
func (u *Users) CheckLimit(l ops.UserLimit) error {
	if l.Reset {
		return wallet.CheckUserLimit(l.Flow, wallet.FlowLimit{})
	}
	return wallet.CheckUserLimit(l.Flow, wallet.FlowLimit{PerTransaction: l.PerTransaction, PerDay: l.PerDay, PerMonth: l.PerMonth})
}

// SetLimit sets or removes the user's limit in the wallet, inside tx.
func (u *Users) SetLimit(ctx context.Context, tx *store.Tx, userID string, l ops.UserLimit, actor, reason string) error {
	if u.Wallet == nil {
		return errors.New("opsusers: no wallet to set limits in")
	}
	var fl *wallet.FlowLimit
	if !l.Reset {
		fl = &wallet.FlowLimit{PerTransaction: l.PerTransaction, PerDay: l.PerDay, PerMonth: l.PerMonth}
	}
	return u.Wallet.SetUserLimitTx(ctx, tx, userID, l.Flow, fl, actor, reason)
}

var _ ops.Reviews = (*Users)(nil)

// Pending lists what the risk rules hold for review — withdrawals (kind
// "withdrawal") and bank top-ups ("bank_topup"), none without funding,
// and P2P transfers (kind "p2p") —
// oldest first, at most limit, each with the reasons of the risk decision
// that held it.
func (u *Users) Pending(ctx context.Context, limit int) ([]ops.Review, error) {
	var out []ops.Review
	if u.Funding != nil {
		held, err := u.Funding.WithdrawalsForReview(ctx, limit)
		if err != nil {
			return nil, err
		}
		for _, w := range held {
			r := ops.Review{ID: w.ID, Kind: "withdrawal", UserID: w.UserID, Amount: w.Amount, CreatedAt: w.CreatedAt,
				DecisionID: w.DecisionID, Status: ops.ReviewPending}
			if r.Reasons, err = u.reasons(ctx, w.DecisionID); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		topups, err := u.Funding.TopupsForReview(ctx, limit)
		if err != nil {
			return nil, err
		}
		for _, t := range topups {
			r := ops.Review{ID: t.ID, Kind: "bank_topup", UserID: t.UserID, Amount: t.Amount, CreatedAt: t.CreatedAt,
				DecisionID: t.DecisionID, Status: ops.ReviewPending}
			if r.Reasons, err = u.reasons(ctx, t.DecisionID); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	if u.Wallet != nil {
		held, err := u.Wallet.TransfersForReview(ctx, limit)
		if err != nil {
			return nil, err
		}
		for _, t := range held {
			r := ops.Review{ID: t.ID, Kind: "p2p", UserID: t.FromUser, ToUserID: t.ToUser, Amount: t.Amount, CreatedAt: t.CreatedAt,
				DecisionID: t.DecisionID, Status: ops.ReviewPending}
			if r.Reasons, err = u.reasons(ctx, t.DecisionID); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	// Each list is the oldest limit of its kind: merged, the oldest limit
	// of all.
	slices.SortStableFunc(out, func(a, b ops.Review) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// reasons are the reasons of the stored risk decision id (none without
// risk, without an id, or once it was pruned after 180 days).
func (u *Users) reasons(ctx context.Context, id string) ([]ops.ReviewReason, error) {
	if u.Risk == nil || id == "" {
		return nil, nil
	}
	d, err := u.Risk.StoredDecision(ctx, id)
	if err != nil && apperr.CodeOf(err) != apperr.NotFound {
		return nil, err
	}
	return reviewReasons(d.Reasons), nil
}

// Decide approves or rejects a withdrawal, a bank top-up or a P2P
// transfer held for review: the id names which (looked for in that
// order).
func (u *Users) Decide(ctx context.Context, id string, approve bool, also func(context.Context, *store.Tx) error) error {
	if u.Funding != nil {
		_, err := u.Funding.ReviewWithdrawal(ctx, id, approve, also)
		if apperr.CodeOf(err) != apperr.NotFound {
			return err
		}
		_, err = u.Funding.ReviewTopup(ctx, id, approve, also)
		if apperr.CodeOf(err) != apperr.NotFound {
			return err
		}
	}
	if u.Wallet == nil {
		return apperr.E(apperr.NotFound, "no such review").JA("その審査はありません")
	}
	_, err := u.Wallet.ReviewTransfer(ctx, id, approve, also)
	return err
}

// Compensate pays a compensation item (wallet.Compensate).
func (u *Users) Compensate(ctx context.Context, compensationID, userID string, amount int64) error {
	if u.Wallet == nil {
		return errors.New("opsusers: no wallet to pay compensations from")
	}
	return u.Wallet.Compensate(ctx, compensationID, userID, amount)
}
