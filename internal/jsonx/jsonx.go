// Package jsonx is saifu's one strict JSON decoder for input from outside:
// API request bodies, the sandbox counterparts' request bodies, and the
// answers of the banks, card acquirer and eKYC provider.
//
// What it promises:
//   - Object member names match struct field names exactly, byte for byte
//     after unescaping. encoding/json matches them case-insensitively and
//     with Unicode folding, so {"amount":1,"AMOUNT":7} decoded as 7 and
//     "\u0041mount" or "ſ" (U+017F) spellings reached real fields; here such
//     a name is an unknown member.
//   - A name given twice in one object, at any depth, is refused (also when
//     the two spellings differ only in escapes).
//   - Decode refuses unknown members; DecodeAnswer ignores them, for
//     counterparts whose answers may grow fields, but still matches names
//     exactly and refuses duplicates.
//   - The input is exactly one JSON object: no trailing data, no top-level
//     array, string or null, and valid UTF-8 only.
//   - Every refusal is an apperr.Invalid whose message, in English and
//     Japanese, is safe to show to the sender.
//
// Why a library: Go's own encoding/json/v2 has these semantics but needs
// GOEXPERIMENT=jsonv2 on Go 1.26, which saifu's builds do not set.
// github.com/go-json-experiment/json is the same implementation (it aliases
// the standard library's once that is stable), so decoding here is the
// standard v2 decoder, not a hand-written check of key sets against struct
// tags that every new request type would have to keep in step with.
package jsonx

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// nameBytesMax bounds how much of a refused member name an error message
// quotes: enough to recognise it, never the 64 KiB a body may hold.
const nameBytesMax = 64

// strict are the options of Decode. Exact name matching and duplicate
// rejection are v2's defaults; they are spelled out so that a change of
// defaults cannot loosen them silently. A time.Duration is an integer of
// nanoseconds, as encoding/json has it (v2 has no default for it).
var strict = json.JoinOptions(
	json.MatchCaseInsensitiveNames(false),
	jsontext.AllowDuplicateNames(false),
	jsontext.AllowInvalidUTF8(false),
	json.RejectUnknownMembers(true),
	jsonv1.FormatDurationAsNano(true),
)

// lenient are the options of DecodeAnswer: strict, except that unknown
// members are skipped.
var lenient = json.JoinOptions(strict, json.RejectUnknownMembers(false))

// Decode decodes data, one JSON object, into v (a pointer), refusing
// unknown and duplicate member names and names that differ from a field's
// only in case or folding.
func Decode(data []byte, v any) error { return decode(data, v, strict) }

// DecodeAnswer is Decode for a counterpart's answer: members saifu does not
// know are ignored (the counterpart may add fields), all else is as strict.
func DecodeAnswer(data []byte, v any) error { return decode(data, v, lenient) }

func decode(data []byte, v any, opts json.Options) error {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return apperr.E(apperr.Invalid, "request body is empty").JA("リクエスト本文が空です")
	}
	if trimmed[0] != '{' {
		return apperr.E(apperr.Invalid, "JSON body must be an object").JA("JSON はオブジェクトにしてください")
	}
	if err := json.Unmarshal(data, v, opts); err != nil {
		return refusal(err)
	}
	return nil
}

// refusal turns a decoding error into a public apperr.Invalid.
func refusal(err error) error {
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		if errors.Is(syn.Err, jsontext.ErrDuplicateName) {
			return apperr.Wrap(apperr.Invalid, fmt.Sprintf("duplicate key %s in JSON", pointer(syn.JSONPointer)), err).
				JA("JSON に重複したキーがあります")
		}
		return apperr.Wrap(apperr.Invalid, fmt.Sprintf("malformed JSON: syntax error at byte %d", syn.ByteOffset), err).
			JA("JSON の形式が正しくありません")
	}
	var sem *json.SemanticError
	if errors.As(err, &sem) {
		if errors.Is(sem.Err, json.ErrUnknownName) {
			return apperr.Wrap(apperr.Invalid, fmt.Sprintf("unknown field %s (names match exactly, case included)", pointer(sem.JSONPointer)), err).
				JA("不明な項目があります（項目名は大文字・小文字も区別します）")
		}
		kind := "a different type"
		if sem.GoType != nil {
			kind = sem.GoType.Kind().String()
		}
		return apperr.Wrap(apperr.Invalid, fmt.Sprintf("malformed JSON: field %s must be %s", pointer(sem.JSONPointer), kind), err).
			JA("JSON の項目の型が正しくありません")
	}
	return apperr.Wrap(apperr.Invalid, "malformed JSON", err).JA("JSON の形式が正しくありません")
}

// pointer quotes the member a JSON pointer names ("/source/type" is
// "source.type") for a message, cut to nameBytesMax bytes.
func pointer(p jsontext.Pointer) string {
	var names []string
	for tok := range p.Tokens() {
		names = append(names, tok)
	}
	s := strings.Join(names, ".")
	if len(s) > nameBytesMax {
		s = s[:nameBytesMax] + "…"
	}
	return fmt.Sprintf("%q", s)
}
