package emvqr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// crcTable is an independent, table-driven CRC-16/CCITT-FALSE, so that the
// tests do not check the code's bit loop against itself.
func crcTable(data []byte) uint16 {
	var table [256]uint16
	for i := range table {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		table[i] = c
	}
	crc := uint16(0xFFFF)
	for _, b := range data {
		crc = crc<<8 ^ table[byte(crc>>8)^b]
	}
	return crc
}

func withCRC(s string) string { return s + fmt.Sprintf("%04X", crcTable([]byte(s))) }

func TestCRC(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want uint16
	}{
		{"standard check value", "123456789", 0x29B1},
		{"empty", "", 0xFFFF},
		// The EMVCo MPM specification's example payload (Appendix), whose
		// CRC is A13A; its alternate-language names are UTF-8.
		{"EMVCo example", "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304", 0xA13A},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := crc16([]byte(tt.in)); got != tt.want {
				t.Errorf("crc16 = %04X, want %04X", got, tt.want)
			}
			if got := crcTable([]byte(tt.in)); got != tt.want {
				t.Errorf("crcTable = %04X, want %04X", got, tt.want)
			}
		})
	}
}

// The EMVCo example's lengths count characters: 最佳运输 is "0104".
func TestDecodeTLVCountsCharacters(t *testing.T) {
	fs, err := decodeTLV("0002ZH0104最佳运输0202北京")
	if err != nil {
		t.Fatal(err)
	}
	want := []field{{"00", "ZH"}, {"01", "最佳运输"}, {"02", "北京"}}
	if diff := cmp.Diff(fs, want, cmp.AllowUnexported(field{})); diff != "" {
		t.Fatalf("(-got +want)\n%s", diff)
	}
}

// knownStatic is written out by hand, tag by tag; only its CRC is computed,
// by the independent table above.
var knownStatic = withCRC("000201" + "010211" +
	"2630" + "0008jp.saifu" + "0114m_0123456789ab" +
	"52045812" + "5303392" + "5802JP" +
	"5915SAIFU DEMO SHOP" + "6005TOKYO" + "6304")

func TestBuildKnownPayload(t *testing.T) {
	got, err := Build(MerchantPayload{MerchantID: "m_0123456789ab", Name: "SAIFU DEMO SHOP", City: "TOKYO", MCC: "5812"})
	if err != nil {
		t.Fatal(err)
	}
	if got != knownStatic {
		t.Fatalf("Build =\n%s\nwant\n%s", got, knownStatic)
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		p    MerchantPayload
	}{
		{"static", MerchantPayload{MerchantID: "m_1", Name: "SHOP", City: "OSAKA", MCC: "5411", Currency: "392", Country: "JP"}},
		{"dynamic", MerchantPayload{MerchantID: "m_2", Name: "CAFE", City: "KYOTO", MCC: "5814", Currency: "392", Country: "JP", Amount: 1280}},
		{"every optional field", MerchantPayload{
			MerchantID: "M-abc_DEF", Name: "SAIFU MART SHIBUYA", City: "SHIBUYA-KU", MCC: "5499", Currency: "392", Country: "JP",
			Amount: 9999999999999, PostalCode: "150-0002", Reference: "ORDER-42",
			NameJA: "サイフマート　渋谷店", CityJA: "渋谷区",
		}},
		{"longest name and city", MerchantPayload{MerchantID: strings.Repeat("x", 32), Name: strings.Repeat("N", 25), City: strings.Repeat("C", 15), MCC: "0000", Currency: "392", Country: "JP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if c := s[len(s)-4:]; c != strings.ToUpper(c) || c != fmt.Sprintf("%04X", crcTable([]byte(s[:len(s)-4]))) {
				t.Fatalf("CRC %q wrong", c)
			}
			got, err := Parse(s)
			if err != nil {
				t.Fatalf("Parse(%q): %v", s, err)
			}
			if diff := cmp.Diff(got, tt.p); diff != "" {
				t.Fatalf("(-got +want)\n%s", diff)
			}
		})
	}
}

func TestBuildRejects(t *testing.T) {
	ok := MerchantPayload{MerchantID: "m_1", Name: "SHOP", City: "TOKYO", MCC: "5411"}
	tests := []struct {
		name string
		edit func(*MerchantPayload)
	}{
		{"no merchant id", func(p *MerchantPayload) { p.MerchantID = "" }},
		{"merchant id with space", func(p *MerchantPayload) { p.MerchantID = "m 1" }},
		{"merchant id too long", func(p *MerchantPayload) { p.MerchantID = strings.Repeat("a", 33) }},
		{"no name", func(p *MerchantPayload) { p.Name = "" }},
		{"name too long", func(p *MerchantPayload) { p.Name = strings.Repeat("a", 26) }},
		{"name not ASCII", func(p *MerchantPayload) { p.Name = "サイフ" }},
		{"city too long", func(p *MerchantPayload) { p.City = strings.Repeat("a", 16) }},
		{"MCC letters", func(p *MerchantPayload) { p.MCC = "58a2" }},
		{"USD", func(p *MerchantPayload) { p.Currency = "840" }},
		{"US", func(p *MerchantPayload) { p.Country = "US" }},
		{"negative amount", func(p *MerchantPayload) { p.Amount = -1 }},
		{"amount 14 digits", func(p *MerchantPayload) { p.Amount = 10000000000000 }},
		{"Japanese name too long", func(p *MerchantPayload) { p.NameJA = strings.Repeat("店", 26) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok
			tt.edit(&p)
			if _, err := Build(p); apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("Build = %v, want invalid_request", err)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	// body builds a payload from hand-written TLV and appends a correct CRC.
	body := func(tlv string) string { return withCRC(tlv + "6304") }
	const acct = "2625" + "0008jp.saifu" + "0109m_0000001"
	const rest = "52045812" + "5303392" + "5802JP" + "5904SHOP" + "6005TOKYO"
	if _, err := Parse(body("000201" + "010211" + acct + rest)); err != nil {
		t.Fatalf("the base case must parse: %v", err)
	}
	flip := []byte(knownStatic)
	flip[len(flip)-1] ^= 1
	tests := []struct {
		name    string
		payload string
		wantMsg string
	}{
		{"empty", "", "checksum"},
		{"bad CRC", string(flip), "checksum is wrong"},
		{"changed byte, old CRC", strings.Replace(knownStatic, "TOKYO", "TOKYA", 1), "checksum is wrong"},
		{"CRC not hex", knownStatic[:len(knownStatic)-4] + "ZZZZ", "checksum is wrong"},
		{"no CRC tag", "000201", "checksum"},
		{"not format 01", body("000202" + "010211" + acct + rest), "unsupported"},
		{"format not first", body("010211" + "000201" + acct + rest), "malformed"},
		{"length past end", body("000201" + "010211" + acct + rest + "5999SHOP"), "malformed"},
		{"length not digits", body("00020101x211" + acct + rest), "malformed"},
		{"zero length", body("000201" + "010211" + "6100" + acct + rest), "malformed"},
		{"duplicate tag", body("000201" + "010211" + acct + rest + "5904SHOP"), "malformed"},
		{"missing MCC", body("000201" + "010211" + acct + "5303392" + "5802JP" + "5904SHOP" + "6005TOKYO"), "tag 52"},
		{"missing name", body("000201" + "010211" + acct + "52045812" + "5303392" + "5802JP" + "6005TOKYO"), "tag 59"},
		{"missing point of initiation", body("000201" + acct + rest), "tag 01"},
		{"USD", body("000201" + "010211" + acct + "52045812" + "5303840" + "5802JP" + "5904SHOP" + "6005TOKYO"), "yen"},
		{"country US", body("000201" + "010211" + acct + "52045812" + "5303392" + "5802US" + "5904SHOP" + "6005TOKYO"), "Japan"},
		{"other wallet's template", body("000201" + "010211" + "2627" + "0010jp.example" + "0109m_0000001" + rest), "not a saifu"},
		{"template without merchant id", body("000201" + "010211" + "2612" + "0008jp.saifu" + rest), "no merchant id"},
		{"template malformed", body("000201" + "010211" + "2605" + "00991" + rest), "template"},
		{"static with amount", body("000201" + "010211" + acct + rest + "54041000"), "static"},
		{"dynamic without amount", body("000201" + "010212" + acct + rest), "dynamic"},
		{"decimal amount", body("000201" + "010212" + acct + rest + "540510.00"), "whole yen"},
		{"zero amount", body("000201" + "010212" + acct + rest + "54010"), "whole yen"},
		{"leading zero amount", body("000201" + "010212" + acct + rest + "54040100"), "whole yen"},
		{"negative amount", body("000201" + "010212" + acct + rest + "5404-100"), "whole yen"},
		{"tip", body("000201" + "010212" + acct + rest + "54031005502015603100"), "tips"},
		{"bad point of initiation", body("000201" + "010213" + acct + rest), "point of initiation"},
		{"invalid UTF-8", body("000201" + "010211" + acct + rest + "6102\xff\xfe"), "not valid text"},
		{"too long", body("000201" + "010211" + acct + rest + strings.Repeat("9999"+strings.Repeat("x", 99), 5)), "too long"},
		{"CRC tag not last in TLV", body("000201" + "010211" + acct + rest + "6308abcd"), "malformed"},
		{"name with control character", body("000201" + "010211" + acct + "52045812" + "5303392" + "5802JP" + "5904SH\nP" + "6005TOKYO"), "name"},
		{"language not ja", body("000201" + "010211" + acct + rest + "64120002zh0102北京"), "language"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.payload)
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Invalid {
				t.Fatalf("Parse = %v, want invalid_request", err)
			}
			if !strings.Contains(e.Message, tt.wantMsg) {
				t.Errorf("message %q does not mention %q", e.Message, tt.wantMsg)
			}
			if e.MessageJA == "" {
				t.Errorf("no Japanese message")
			}
		})
	}
}

// A JPQR-style payload carrying another scheme's template beside saifu's
// parses, and unknown optional tags are ignored.
func TestParseToleratesOtherTemplates(t *testing.T) {
	s := withCRC("000201" + "010211" +
		"2927" + "0010jp.example" + "0109OTHER-123" +
		"2625" + "0008jp.saifu" + "0109m_0000001" +
		"52045812" + "5303392" + "5802JP" + "5904SHOP" + "6005TOKYO" +
		"8006ABCDEF" + "6304")
	p, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	if p.MerchantID != "m_0000001" {
		t.Fatalf("merchant id %q", p.MerchantID)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(knownStatic)
	for _, p := range []MerchantPayload{
		{MerchantID: "m_2", Name: "CAFE", City: "KYOTO", MCC: "5814", Amount: 1280, Reference: "R1", NameJA: "カフェ", CityJA: "京都"},
		{MerchantID: "m_3", Name: "A", City: "B", MCC: "0001", PostalCode: "100-0001"},
	} {
		s, err := Build(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s)
	}
	f.Add("0002010102116304ABCD")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("Parse error not invalid_request: %v", err)
			}
			return
		}
		if p.Currency != CurrencyJPY || p.Country != CountryJP || p.Amount < 0 {
			t.Fatalf("accepted %+v", p)
		}
		again, err := Build(p)
		if err != nil {
			t.Fatalf("Build(Parse(%q)): %v", s, err)
		}
		q, err := Parse(again)
		if err != nil {
			t.Fatalf("Parse(Build(Parse(%q))): %v", s, err)
		}
		if diff := cmp.Diff(q, p); diff != "" {
			t.Fatalf("round trip (-got +want)\n%s", diff)
		}
	})
}

// FuzzRoundTrip: whatever Build accepts, Parse returns unchanged.
func FuzzRoundTrip(f *testing.F) {
	f.Add("m_1", "SHOP", "TOKYO", "5812", int64(0), "", "", "", "")
	f.Add("M-2", "CAFE", "KYOTO", "5814", int64(1280), "600-8001", "ORDER-1", "カフェ", "京都")
	f.Fuzz(func(t *testing.T, id, name, city, mcc string, amount int64, postal, ref, nameJA, cityJA string) {
		p := MerchantPayload{MerchantID: id, Name: name, City: city, MCC: mcc, Amount: amount,
			PostalCode: postal, Reference: ref, NameJA: nameJA, CityJA: cityJA}
		s, err := Build(p)
		if err != nil {
			return
		}
		p.Currency, p.Country = CurrencyJPY, CountryJP
		got, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(Build(%+v)) = %v (payload %q)", p, err, s)
		}
		if diff := cmp.Diff(got, p); diff != "" {
			t.Fatalf("(-got +want)\n%s", diff)
		}
	})
}
