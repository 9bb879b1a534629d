package ledger

import (
	"fmt"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// holdInfo is what the committer knows of a hold (a pending transfer).
type holdInfo struct {
	id        int64
	debit     int64
	credit    int64
	amount    int64
	currency  string
	expiresAt int64 // unix ms; 0: never
	resolved  bool
}

// entry is one journal row.
type entry struct {
	id, requestID int64
	kind          string
	phase         Phase
	debit, credit int64
	amount        int64
	currency      string
	pendingID     int64
	linkedID      int64
	expiresAt     int64
	metadata      string
	debitAfter    int64
	creditAfter   int64
	createdAt     int64
	hash          string
}

// batchState is the committer's view of the accounts and holds a batch
// touches, loaded once under lock and changed in memory.
type batchState struct {
	accounts map[int64]*Account
	dirty    map[int64]bool
	holds    map[int64]*holdInfo
}

func insufficient(a *Account, amount int64) *apperr.Error {
	// The public message names no account: ids are internal.
	return &apperr.Error{Code: apperr.InsufficientFunds, Message: "insufficient funds", MessageJA: "残高が不足しています",
		Err: fmt.Errorf("account %d has %d available, %d needed", a.ID, a.Available(), amount)}
}

func overflow(a *Account) *apperr.Error {
	return &apperr.Error{Code: apperr.Invalid, Message: "amount too large for the account balance", MessageJA: "金額が大きすぎます",
		Err: fmt.Errorf("amount would overflow the balance of account %d", a.ID)}
}

// apply checks and applies req to the batch state: all of its transfers, or
// (on error) none. Journal entries get ids from firstID+1 on.
func (s *batchState) apply(req *Request, firstID, requestID, nowMs int64) ([]entry, error) {
	staged := map[int64]*Account{}
	get := func(id int64) (*Account, error) {
		if a, ok := staged[id]; ok {
			return a, nil
		}
		base, ok := s.accounts[id]
		if !ok {
			return nil, apperr.E(apperr.NotFound, fmt.Sprintf("no account %d", id)).JA("口座が見つかりません")
		}
		c := *base
		staged[id] = &c
		return &c, nil
	}
	newHolds := map[int64]*holdInfo{}
	resolved := map[int64]bool{}
	entries := make([]entry, 0, len(req.Transfers))

	for k := range req.Transfers {
		t := &req.Transfers[k]
		id := firstID + int64(k) + 1
		e := entry{id: id, requestID: requestID, kind: t.Kind, linkedID: t.Linked,
			metadata: encodeMetadata(t.Metadata), createdAt: nowMs}
		if t.Linked >= id {
			return nil, invalid("linked transfer %d does not exist", t.Linked)
		}
		var da, ca *Account
		var err error
		switch {
		case t.PostPending != 0 || t.VoidPending != 0:
			hid := t.PostPending + t.VoidPending
			h := s.holds[hid]
			if h == nil {
				h = newHolds[hid]
			}
			if h == nil {
				return nil, apperr.E(apperr.NotFound, fmt.Sprintf("no hold %d", hid)).JA("保留中の取引が見つかりません")
			}
			if h.resolved || resolved[hid] {
				return nil, apperr.E(apperr.Conflict, fmt.Sprintf("hold %d was already posted, voided or expired", hid)).JA("この保留はすでに確定または取消されています")
			}
			if da, err = get(h.debit); err != nil {
				return nil, err
			}
			if ca, err = get(h.credit); err != nil {
				return nil, err
			}
			da.PendingDebits -= h.amount
			ca.PendingCredits -= h.amount
			e.debit, e.credit, e.currency, e.pendingID = h.debit, h.credit, h.currency, hid
			expired := h.expiresAt != 0 && nowMs >= h.expiresAt
			switch {
			case t.PostPending != 0:
				if expired {
					return nil, apperr.E(apperr.Conflict, fmt.Sprintf("hold %d has expired", hid)).JA("保留の期限が切れています")
				}
				amt := t.Amount
				if amt == 0 {
					amt = h.amount
				}
				if amt > h.amount {
					return nil, invalid("cannot post %d of a hold of %d", amt, h.amount)
				}
				var ok1, ok2 bool
				if da.Posted, ok1 = addChecked(da.Posted, -amt); !ok1 {
					return nil, overflow(da)
				}
				if ca.Posted, ok2 = addChecked(ca.Posted, amt); !ok2 {
					return nil, overflow(ca)
				}
				e.phase, e.amount = PhasePost, amt
			case t.expire:
				if !expired {
					return nil, apperr.E(apperr.Conflict, fmt.Sprintf("hold %d has not expired", hid))
				}
				e.phase, e.amount = PhaseExpire, h.amount
			default:
				e.phase, e.amount = PhaseVoid, h.amount
			}
			resolved[hid] = true
		default:
			if da, err = get(t.Debit); err != nil {
				return nil, err
			}
			if ca, err = get(t.Credit); err != nil {
				return nil, err
			}
			if da.Currency != t.Currency || ca.Currency != t.Currency {
				return nil, invalid("currency %s does not match accounts (%s → %s)", t.Currency, da.Currency, ca.Currency)
			}
			if da.Flags&FlagMayGoNegative == 0 && da.Available() < t.Amount {
				return nil, insufficient(da, t.Amount)
			}
			var ok1, ok2 bool
			if t.Pending {
				if da.PendingDebits, ok1 = addChecked(da.PendingDebits, t.Amount); !ok1 {
					return nil, overflow(da)
				}
				if ca.PendingCredits, ok2 = addChecked(ca.PendingCredits, t.Amount); !ok2 {
					return nil, overflow(ca)
				}
				e.phase = PhasePending
				if t.Timeout > 0 {
					e.expiresAt = nowMs + t.Timeout.Milliseconds()
				}
				newHolds[id] = &holdInfo{id: id, debit: t.Debit, credit: t.Credit, amount: t.Amount, currency: t.Currency, expiresAt: e.expiresAt}
			} else {
				if da.Posted, ok1 = addChecked(da.Posted, -t.Amount); !ok1 {
					return nil, overflow(da)
				}
				if ca.Posted, ok2 = addChecked(ca.Posted, t.Amount); !ok2 {
					return nil, overflow(ca)
				}
				e.phase = PhasePosted
			}
			e.debit, e.credit, e.amount, e.currency = t.Debit, t.Credit, t.Amount, t.Currency
		}
		// The invariant, checked where it is written: no account without the
		// flag is ever below zero, pending included.
		for _, a := range []*Account{da, ca} {
			if a.Flags&FlagMayGoNegative == 0 && (a.Available() < 0 || a.PendingDebits < 0 || a.PendingCredits < 0) {
				return nil, insufficient(a, 0)
			}
		}
		e.debitAfter, e.creditAfter = da.Posted, ca.Posted
		entries = append(entries, e)
	}
	for id, a := range staged {
		s.accounts[id] = a
		s.dirty[id] = true
	}
	for id, h := range newHolds {
		s.holds[id] = h
	}
	for id := range resolved {
		s.holds[id].resolved = true
	}
	return entries, nil
}
