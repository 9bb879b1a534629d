package emvqr

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// field is one TLV data object: a two-digit id and its value. Lengths count
// characters, not bytes (EMVCo MPM 4.1; the alternate-language template
// carries UTF-8 names whose length is their number of characters).
type field struct {
	id    string
	value string
}

// encodeTLV appends id, the two-digit character count of value, and value.
func encodeTLV(b *strings.Builder, id, value string) error {
	n := utf8.RuneCountInString(value)
	if n < 1 || n > 99 {
		return fmt.Errorf("tag %s: length %d outside 1..99", id, n)
	}
	b.WriteString(id)
	if n < 10 {
		b.WriteByte('0')
	}
	b.WriteString(strconv.Itoa(n))
	b.WriteString(value)
	return nil
}

// decodeTLV splits s into data objects. Every id and length must be two
// ASCII digits, every length 01..99, and the value must be complete.
func decodeTLV(s string) ([]field, error) {
	var out []field
	for i := 0; i < len(s); {
		if len(s)-i < 4 {
			return nil, fmt.Errorf("truncated data object at byte %d", i)
		}
		id, ln := s[i:i+2], s[i+2:i+4]
		if !isDigits(id) || !isDigits(ln) {
			return nil, fmt.Errorf("id or length not two digits at byte %d", i)
		}
		n := int(ln[0]-'0')*10 + int(ln[1]-'0')
		if n == 0 {
			return nil, fmt.Errorf("tag %s: zero length", id)
		}
		i += 4
		start := i
		for range n {
			if i >= len(s) {
				return nil, fmt.Errorf("tag %s: value shorter than its length %d", id, n)
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size <= 1 {
				return nil, fmt.Errorf("tag %s: invalid UTF-8", id)
			}
			i += size
		}
		out = append(out, field{id: id, value: s[start:i]})
	}
	return out, nil
}

// index maps ids to values, rejecting a repeated id.
func index(fs []field) (map[string]string, error) {
	m := make(map[string]string, len(fs))
	for _, f := range fs {
		if _, dup := m[f.id]; dup {
			return nil, fmt.Errorf("tag %s appears twice", f.id)
		}
		m[f.id] = f.value
	}
	return m, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
