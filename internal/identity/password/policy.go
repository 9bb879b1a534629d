package password

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// The length bounds of NIST SP 800-63B §3.1.1.2, counted in characters
// (runes after NFC).
const (
	lengthMin = 8
	lengthMax = 128
	// localPartMin is the shortest e-mail local part checked for: shorter
	// ones ("ab") occur in too many good passwords by chance.
	localPartMin = 3
)

// contextWords are service-specific words a password must not contain
// (SP 800-63B: "context-specific words, such as the name of the service").
var contextWords = []string{"saifu"}

// CheckPolicy reports whether pw is acceptable for the account with the
// given e-mail address: 8 to 128 characters of any kind, not a common
// password, not containing the address's local part or the service's name.
// It returns an *apperr.Error with code apperr.Invalid and a reason in
// English and Japanese, or, when the blocklist cannot be loaded, an
// internal error: no password is accepted unchecked.
func CheckPolicy(pw, email string) error {
	list, err := blocklist()
	if err != nil {
		return apperr.Wrap(apperr.Internal, "The password cannot be checked right now.", err).
			JA("現在パスワードを確認できません。")
	}
	return checkPolicy(pw, email, list)
}

func checkPolicy(pw, email string, list map[string]struct{}) error {
	if !utf8.ValidString(pw) {
		return invalid("The password contains invalid characters.", "パスワードに不正な文字が含まれています。")
	}
	pw = norm.NFC.String(pw)
	n := utf8.RuneCountInString(pw)
	if n < lengthMin {
		return invalid("The password must be at least 8 characters long.", "パスワードは8文字以上にしてください。")
	}
	if n > lengthMax {
		return invalid("The password must be at most 128 characters long.", "パスワードは128文字以内にしてください。")
	}
	lower := strings.ToLower(pw)
	if _, found := list[lower]; found {
		return invalid("This password is too common and easy to guess. Choose another.", "このパスワードはよく使われていて推測されやすいため使用できません。別のパスワードを選んでください。")
	}
	if at := strings.LastIndex(email, "@"); at >= 0 {
		local := strings.ToLower(norm.NFC.String(strings.TrimSpace(email[:at])))
		if utf8.RuneCountInString(local) >= localPartMin && strings.Contains(lower, local) {
			return invalid("The password must not contain your email address.", "パスワードにメールアドレスを含めることはできません。")
		}
	}
	for _, w := range contextWords {
		if strings.Contains(lower, w) {
			return invalid("The password must not contain the name of this service.", "パスワードにサービス名を含めることはできません。")
		}
	}
	return nil
}

func invalid(en, ja string) error {
	e := apperr.E(apperr.Invalid, en).JA(ja)
	e.Fields = map[string]string{"password": en}
	e.FieldsJA = map[string]string{"password": ja}
	return e
}
