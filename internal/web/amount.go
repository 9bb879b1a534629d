package web

import (
	"strconv"
	"strings"
)

// parseYen reads an amount typed in a money form: digits, with the
// thousands separators, yen sign or 円 a person may type. Anything else
// is 0, which the services refuse with their own message (the range of
// an amount is their rule, not the page's).
func parseYen(s string) int64 {
	s = strings.NewReplacer(",", "", "，", "", "円", "", "¥", "", "￥", "", " ", "").Replace(strings.TrimSpace(s))
	if s == "" || len(s) > 15 {
		return 0
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0
	}
	return n
}
