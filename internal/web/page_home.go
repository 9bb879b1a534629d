package web

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/wallet"
)

// homeMovementsMax: the home page shows the latest few movements; the
// history page has the rest.
const homeMovementsMax = 5

type homeData struct {
	Balance   wallet.Balance
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
	s.render(w, r, http.StatusOK, "home", "home.title", homeData{Balance: b, Movements: items, Unread: unread, UnreadMax: wallet.UnreadMax}, "")
	return nil
}
