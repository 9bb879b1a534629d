package password

import (
	"bytes"
	"compress/gzip"
	"strings"
	"sync"
	"testing"

	"github.com/saifu-pay/saifu/internal/apperr"
)

func TestBlocklist(t *testing.T) {
	if n := BlocklistSize(); n < 40000 {
		t.Fatalf("BlocklistSize = %d, want ≥ 40000", n)
	}
	for _, pw := range []string{"password", "123456789", "qwerty123", "PASSWORD", "QwErTy123"} {
		if err := CheckPolicy(pw, "someone@example.com"); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("CheckPolicy(%q) = %v, want refused as common", pw, err)
		}
	}
}

func TestCheckPolicy(t *testing.T) {
	tests := []struct {
		name    string
		pw      string
		email   string
		wantErr bool
	}{
		{name: "long passphrase", pw: "correct horse battery staple", email: "taro@example.com"},
		{name: "exactly 8", pw: "x9!kq7#z", email: "taro@example.com"},
		{name: "japanese 8 characters", pw: "ごうかくきがんしよ", email: "taro@example.com"},
		{name: "spaces allowed", pw: "  a b c d e f  ", email: "taro@example.com"},
		{name: "128 characters", pw: strings.Repeat("z", 127) + "y", email: "taro@example.com"},
		{name: "short local part ignored", pw: "ab-nebula-quartz", email: "ab@example.com"},
		{name: "no email", pw: "nebula-quartz-77", email: ""},

		{name: "7 characters", pw: "x9!kq7#", email: "taro@example.com", wantErr: true},
		{name: "7 runes decomposed to 8 code points", pw: "abcdef\u0065\u0301", email: "taro@example.com", wantErr: true},
		{name: "129 characters", pw: strings.Repeat("z", 128) + "y", email: "taro@example.com", wantErr: true},
		{name: "common", pw: "iloveyou", email: "taro@example.com", wantErr: true},
		{name: "common upper case", pw: "ILOVEYOU", email: "taro@example.com", wantErr: true},
		{name: "contains local part", pw: "xx-taroyamada-xx", email: "TaroYamada@example.com", wantErr: true},
		{name: "contains local part case-insensitive", pw: "TAROYAMADA2024!", email: "taroyamada@example.com", wantErr: true},
		{name: "service name", pw: "mySaifuWallet!!", email: "taro@example.com", wantErr: true},
		{name: "invalid utf8", pw: "abcdefgh\xff", email: "taro@example.com", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPolicy(tc.pw, tc.email)
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("CheckPolicy(%q) = %v, want accepted", tc.pw, err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Invalid || e.Message == "" || e.MessageJA == "" || e.Fields["password"] == "" {
				t.Fatalf("CheckPolicy(%q) = %#v, want Invalid with English, Japanese and field", tc.pw, err)
			}
		})
	}
}

func TestBlocklistFailsClosed(t *testing.T) {
	var small bytes.Buffer
	zw := gzip.NewWriter(&small)
	zw.Write([]byte("password\n123456\n"))
	zw.Close()
	tests := []struct {
		name string
		gz   []byte
	}{
		{name: "not gzip", gz: []byte("password\n")},
		{name: "empty", gz: nil},
		{name: "truncated list", gz: small.Bytes()},
		{name: "truncated gzip", gz: blocklistGz[:len(blocklistGz)/2]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := loadBlocklist(tc.gz, blocklistEntriesMin); err == nil {
				t.Fatal("loadBlocklist succeeded, want failure")
			}
		})
	}
}

// TestCheckPolicyFailsClosed loads a broken embedded list: every password,
// even a strong one, is refused with an internal error.
func TestCheckPolicyFailsClosed(t *testing.T) {
	saved := blocklistGz
	reset := func() { blocklistOnce = sync.Once{}; blocklistSet, blocklistErr = nil, nil }
	t.Cleanup(func() { blocklistGz = saved; reset() })
	blocklistGz = []byte("not gzip")
	reset()
	if err := CheckPolicy("correct horse battery staple", "taro@example.com"); apperr.CodeOf(err) != apperr.Internal {
		t.Fatalf("CheckPolicy with broken list = %v, want internal error", err)
	}
	if n := BlocklistSize(); n != 0 {
		t.Fatalf("BlocklistSize with broken list = %d, want 0", n)
	}
}
