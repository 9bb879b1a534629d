package web

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/wallet"
)

// homeMovementsMax: the home page shows the latest few movements; the
// history page has the rest.
const homeMovementsMax = 5

// homeFlows are the flows whose room home shows, in this order.
var homeFlows = []string{wallet.FlowPayment, wallet.FlowP2P, wallet.FlowTopup, wallet.FlowWithdrawal}

// limitRow is one flow's room under the user's limits.
type limitRow struct {
	Flow    string
	Left    int64
	Allowed bool
}

type homeData struct {
	Balance   wallet.Balance
	Limits    []limitRow
	Movements []wallet.Transaction
	Unread    int
	UnreadMax int
}

// home: GET / — balances, the latest movements, unread notices.
func (s *server) home(w http.ResponseWriter, r *http.Request) error {
	ctx, uid := r.Context(), stateOf(r).sess.UserID
	b, err := s.d.Wallet.Balance(ctx, uid)
	if err != nil {
		return err
	}
	items, _, err := s.d.Wallet.Transactions(ctx, uid, homeMovementsMax, "")
	if err != nil {
		return err
	}
	unread, err := s.d.Wallet.UnreadNotifications(ctx, uid)
	if err != nil {
		return err
	}
	var rows []limitRow
	for _, f := range homeFlows {
		if l, ok := b.Limits[f]; ok {
			rows = append(rows, limitRow{Flow: f, Left: b.Left(f), Allowed: l.PerDay > 0 && l.PerTransaction > 0})
		}
	}
	s.render(w, r, http.StatusOK, "home", "home.title", homeData{Balance: b, Limits: rows, Movements: items, Unread: unread, UnreadMax: wallet.UnreadMax}, "")
	return nil
}
