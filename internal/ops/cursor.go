package ops

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// A keyset cursor of a list newest first (approvals, cases) is
// "<unix ms>.<id>" of the last item of the page: the next page holds what
// is older, or as old with a smaller id.

// cursorOf is the cursor after the item made at t with id.
func cursorOf(t time.Time, id string) string { return fmt.Sprintf("%d.%s", t.UnixMilli(), id) }

// parseCursor reads cursor c of query parameter name ("" is the first
// page: zero ms, no id); apperr.Invalid when it is no cursor.
func parseCursor(name, c string) (ms int64, id string, err error) {
	if c == "" {
		return 0, "", nil
	}
	m, id, ok := strings.Cut(c, ".")
	ms, perr := strconv.ParseInt(m, 10, 64)
	if !ok || perr != nil || ms < 0 || id == "" {
		return 0, "", apperr.E(apperr.Invalid, name+" must be a cursor from next_cursor").JA("カーソルが正しくありません")
	}
	return ms, id, nil
}
