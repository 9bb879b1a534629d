package identity

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/usertext"
)

// passkeyNameRunesMax bounds a passkey's name: a device's name fits in a
// line of the security page.
const passkeyNameRunesMax = 32

// RenamePasskey names one of the user's passkeys (1 to
// passkeyNameRunesMax characters, one line, no link). Another user's
// passkey is apperr.NotFound; a name that does not fit is apperr.Invalid
// and changes nothing. A name proves nothing, so any session of the user
// may set it.
func (s *Service) RenamePasskey(ctx context.Context, sess Session, passkeyID, name string) error {
	n := strings.TrimSpace(norm.NFC.String(name))
	if !utf8.ValidString(name) || n == "" || utf8.RuneCountInString(n) > passkeyNameRunesMax || usertext.Clean(n, passkeyNameRunesMax) != n {
		return apperr.E(apperr.Invalid, fmt.Sprintf("a passkey's name is 1 to %d characters on one line, without links", passkeyNameRunesMax)).
			JA(fmt.Sprintf("パスキーの名前は1〜%d文字で、改行やリンクを含めずに入力してください", passkeyNameRunesMax))
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?`, n, passkeyID, sess.UserID)
		if err != nil {
			return fmt.Errorf("identity: rename passkey: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return apperr.E(apperr.NotFound, "passkey not found").JA("パスキーが見つかりません")
		}
		return nil
	})
}
