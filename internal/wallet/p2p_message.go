package wallet

import (
	"unicode/utf8"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/usertext"
)

// cleanMessage checks and cleans the message a sender attaches to a P2P
// transfer, before it is stored and shown to the recipient in the app,
// the notice and the mail: at most messageRunesMax characters of valid
// UTF-8, then control and bidi characters stripped, newlines folded and
// links defanged (usertext.Clean), so that it cannot pose as part of
// saifu's own text. The mail templates quote it as well.
func cleanMessage(message string) (string, error) {
	if !utf8.ValidString(message) {
		return "", apperr.E(apperr.Invalid, "the message is not valid text").JA("メッセージに使えない文字が含まれています")
	}
	if utf8.RuneCountInString(message) > messageRunesMax {
		return "", apperr.E(apperr.Invalid, "message over 200 characters").JA("メッセージは200文字以内にしてください")
	}
	return usertext.Clean(message, messageRunesMax), nil
}
