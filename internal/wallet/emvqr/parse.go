package emvqr

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parse decodes and checks a merchant-presented payload. Every failure is
// an apperr.Invalid error (HTTP 400) with an English and Japanese message.
func Parse(payload string) (MerchantPayload, error) {
	var p MerchantPayload
	if len(payload) > payloadBytesMax || !utf8.ValidString(payload) || utf8.RuneCountInString(payload) > payloadCharsMax {
		return p, invalid("the merchant code is too long or not valid text", "加盟店コードが長すぎるか、正しい文字列ではありません", nil)
	}
	// Tag 63 must be last: "6304" and four hex digits over everything before.
	if len(payload) < 8 || payload[len(payload)-8:len(payload)-4] != "6304" {
		return p, invalid("the merchant code has no checksum", "加盟店コードにチェックサムがありません", nil)
	}
	body, sum := payload[:len(payload)-4], payload[len(payload)-4:]
	if !strings.EqualFold(sum, crcHex(body)) || !isHex(sum) {
		return p, invalid("the merchant code's checksum is wrong: scan it again", "加盟店コードのチェックサムが一致しません。もう一度読み取ってください", nil)
	}
	fields, err := decodeTLV(payload)
	if err != nil {
		return p, invalid("the merchant code is malformed", "加盟店コードの形式が正しくありません", err)
	}
	if len(fields) < 2 || fields[0].id != "00" || fields[len(fields)-1].id != "63" || fields[len(fields)-1].value != sum {
		return p, invalid("the merchant code is malformed", "加盟店コードの形式が正しくありません", nil)
	}
	top, err := index(fields)
	if err != nil {
		return p, invalid("the merchant code is malformed", "加盟店コードの形式が正しくありません", err)
	}
	for _, id := range []string{"00", "01", "52", "53", "58", "59", "60"} {
		if _, ok := top[id]; !ok {
			return p, invalid("the merchant code lacks tag "+id, "加盟店コードに必須項目（"+id+"）がありません", nil)
		}
	}
	if top["00"] != "01" {
		return p, invalid("unsupported merchant code format", "対応していない加盟店コードの形式です", nil)
	}
	for _, id := range []string{"55", "56", "57"} {
		if _, ok := top[id]; ok {
			return p, invalid("tips and convenience fees in codes are not supported", "チップ・手数料付きのコードには対応していません", nil)
		}
	}
	p.MerchantID, err = merchantAccount(fields)
	if err != nil {
		return p, err
	}
	p.MCC, p.Currency, p.Country = top["52"], top["53"], top["58"]
	p.Name, p.City, p.PostalCode = top["59"], top["60"], top["61"]
	if err := parseAmount(&p, top["01"], top["54"]); err != nil {
		return p, err
	}
	if v, ok := top["62"]; ok {
		sub, err := subfields(v)
		if err != nil {
			return p, err
		}
		p.Reference = sub["05"]
	}
	if v, ok := top["64"]; ok {
		sub, err := subfields(v)
		if err != nil {
			return p, err
		}
		if !strings.EqualFold(sub["00"], "ja") {
			return p, invalid("unsupported language in the merchant code", "加盟店コードの言語に対応していません", nil)
		}
		p.NameJA, p.CityJA = sub["01"], sub["02"]
	}
	if err := p.validate(); err != nil {
		return MerchantPayload{}, err
	}
	return p, nil
}

// merchantAccount finds saifu's template among the merchant account
// information templates (ids 26..51) and returns its merchant id.
func merchantAccount(fields []field) (string, error) {
	for _, f := range fields {
		n, _ := strconv.Atoi(f.id)
		if n < 26 || n > 51 {
			continue
		}
		sub, err := subfields(f.value)
		if err != nil {
			return "", err
		}
		if sub["00"] == GUID {
			id, ok := sub["01"]
			if !ok {
				return "", invalid("the merchant code has no merchant id", "加盟店コードに加盟店IDがありません", nil)
			}
			return id, nil
		}
	}
	return "", invalid("not a saifu merchant code", "saifu の加盟店コードではありません", nil)
}

// parseAmount reads tag 54: whole yen (JPY has no minor unit), no sign, no
// leading zeros, positive; present exactly when the code is dynamic (12).
func parseAmount(p *MerchantPayload, poi, amount string) error {
	switch poi {
	case "11":
		if amount != "" {
			return invalid("a static merchant code must not carry an amount", "固定の加盟店コードに金額は含められません", nil)
		}
		return nil
	case "12":
		if amount == "" {
			return invalid("a dynamic merchant code must carry an amount", "変動の加盟店コードに金額がありません", nil)
		}
	default:
		return invalid("invalid point of initiation in the merchant code", "加盟店コードの種別が正しくありません", nil)
	}
	if !isDigits(amount) || amount[0] == '0' || len(amount) > amountDigitsMax {
		return invalid("invalid amount in the code: whole yen expected", "コードの金額が正しくありません（円単位の整数）", nil)
	}
	n, err := strconv.ParseInt(amount, 10, 64)
	if err != nil {
		return invalid("invalid amount in the code", "コードの金額が正しくありません", err)
	}
	p.Amount = n
	return nil
}

func subfields(v string) (map[string]string, error) {
	fs, err := decodeTLV(v)
	if err == nil {
		var m map[string]string
		if m, err = index(fs); err == nil {
			return m, nil
		}
	}
	return nil, invalid("the merchant code has a malformed template", "加盟店コードのテンプレートの形式が正しくありません", err)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
