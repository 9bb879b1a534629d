package web

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/wallet"
)

// historyPageSize is one page of the history page.
const historyPageSize = 20

type historyData struct {
	Movements []wallet.Transaction
	// Next is the cursor of the next (older) page; First says this is
	// the newest page.
	Next  string
	First bool
}

// history: GET /history?cursor=… — the movements, newest first, a page
// at a time.
func (s *server) history(w http.ResponseWriter, r *http.Request) error {
	cursor := r.URL.Query().Get("cursor")
	items, next, err := s.d.Wallet.Transactions(r.Context(), stateOf(r).sess.UserID, historyPageSize, cursor)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "history", "history.title", historyData{Movements: items, Next: next, First: cursor == ""}, "")
	return nil
}

type noticesData struct{ Items []wallet.Notification }

// notices: GET /notices — what the user was told, newest first; opening
// the page from saifu's own pages (or typed in) marks them read, a link
// from another site does not (it could hide a fresh "new sign-in"
// notice from the owner).
func (s *server) notices(w http.ResponseWriter, r *http.Request) error {
	ctx, uid := r.Context(), stateOf(r).sess.UserID
	items, err := s.d.Wallet.Notifications(ctx, uid, 0)
	if err != nil {
		return err
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "" || site == "same-origin" || site == "none" {
		if err := s.d.Wallet.MarkNotificationsSeen(ctx, uid); err != nil {
			return err
		}
	}
	s.render(w, r, http.StatusOK, "notices", "notices.title", noticesData{Items: items}, "")
	return nil
}
