package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/jsonx"
)

// Phase says what a journal entry does to balances.
type Phase string

// The phases of a transfer.
const (
	PhasePosted  Phase = "posted"  // moves posted balances at once
	PhasePending Phase = "pending" // a hold: reserves the amount
	PhasePost    Phase = "post"    // posts (all or part of) a hold
	PhaseVoid    Phase = "void"    // releases a hold
	PhaseExpire  Phase = "expire"  // releases a hold whose time ran out
)

// Bounds on requests, with why.
const (
	// transfersPerRequestMax: a payment is at most a handful of legs.
	transfersPerRequestMax = 16
	// metadataBytesMax keeps journal rows small; details live elsewhere.
	metadataBytesMax = 2048
	// keyBytesMax matches the API's Idempotency-Key bound.
	keyBytesMax = 255
	// holdTimeoutMax: no hold outlives 30 days.
	holdTimeoutMax = 30 * 24 * time.Hour
	// AmountMax is the largest single transfer: far above any legal limit
	// (one remittance is capped at 1,000,000 JPY), far below overflow.
	AmountMax = int64(1) << 50
)

// Transfer is one leg of a request.
type Transfer struct {
	Kind     string `json:"kind"` // topup, payment, p2p, withdrawal, refund, reversal, compensation, …
	Debit    int64  `json:"debit_account_id,omitempty"`
	Credit   int64  `json:"credit_account_id,omitempty"`
	Amount   int64  `json:"amount"` // minor units; 0 on a post means the whole hold
	Currency string `json:"currency,omitempty"`
	// Pending makes the transfer a hold: it reserves Amount on Debit until
	// it is posted or voided, or until Timeout passes (then it expires).
	Pending bool          `json:"pending,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"`
	// PostPending posts the hold with this transfer id (Debit, Credit and
	// Currency are the hold's); VoidPending releases it.
	PostPending int64 `json:"post_pending_id,omitempty"`
	VoidPending int64 `json:"void_pending_id,omitempty"`
	// Linked names an earlier transfer this one corrects or refunds.
	Linked   int64             `json:"linked_id,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`

	// expire marks the ledger's own release of a hold past its timeout.
	expire bool
}

// Request is what a caller commits: all its transfers or none.
type Request struct {
	Scope     string     `json:"scope"` // the caller: "user:usr_1", "merchant:m_1", "system"
	Key       string     `json:"idempotency_key"`
	Transfers []Transfer `json:"transfers"`
}

// Result is the outcome of a committed request.
type Result struct {
	RequestID   int64
	TransferIDs []int64
	// Replayed is true when the request had already been committed under
	// its key and this is the first outcome returned again.
	Replayed bool
}

var kindRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

func invalid(format string, args ...any) *apperr.Error {
	return apperr.E(apperr.Invalid, fmt.Sprintf(format, args...)).JA("取引の内容が正しくありません")
}

// Validate checks the request's shape (not balances, which only the
// committer can check).
func (r *Request) Validate() error {
	if r.Scope == "" || len(r.Scope) > keyBytesMax {
		return invalid("scope must be 1-%d bytes", keyBytesMax)
	}
	if r.Key == "" || len(r.Key) > keyBytesMax {
		return apperr.E(apperr.IdempotencyKeyRequired, fmt.Sprintf("idempotency key must be 1-%d bytes", keyBytesMax)).JA("Idempotency-Key が必要です")
	}
	for _, c := range []byte(r.Key) {
		if c < 0x20 || c > 0x7e {
			return apperr.E(apperr.Invalid, "idempotency key must be printable ASCII").JA("Idempotency-Key は印字可能な ASCII 文字にしてください")
		}
	}
	if len(r.Transfers) == 0 || len(r.Transfers) > transfersPerRequestMax {
		return invalid("a request has 1-%d transfers", transfersPerRequestMax)
	}
	for i := range r.Transfers {
		if err := r.Transfers[i].validate(); err != nil {
			return fmt.Errorf("transfer %d: %w", i, err)
		}
	}
	return nil
}

func (t *Transfer) validate() error {
	if !kindRE.MatchString(t.Kind) {
		return invalid("kind must match %s", kindRE)
	}
	if t.PostPending != 0 && t.VoidPending != 0 {
		return invalid("a transfer posts or voids a hold, not both")
	}
	resolving := t.PostPending != 0 || t.VoidPending != 0
	if resolving {
		if t.Pending {
			return invalid("a transfer that resolves a hold cannot itself be pending")
		}
		if t.PostPending < 0 || t.VoidPending < 0 {
			return invalid("hold ids are positive")
		}
		if t.Amount < 0 || t.Amount > AmountMax {
			return invalid("amount must be between 0 (whole hold) and %d", AmountMax)
		}
		if t.VoidPending != 0 && t.Amount != 0 {
			return invalid("a void releases the whole hold: amount must be 0")
		}
	} else {
		if t.Amount <= 0 || t.Amount > AmountMax {
			return invalid("amount must be between 1 and %d", AmountMax)
		}
		if t.Debit <= 0 || t.Credit <= 0 {
			return invalid("debit and credit accounts are required")
		}
		if t.Debit == t.Credit {
			return invalid("debit and credit accounts must differ")
		}
		if !currencyRE.MatchString(t.Currency) {
			return invalid("currency must be three upper-case letters")
		}
	}
	if t.Timeout < 0 || t.Timeout > holdTimeoutMax {
		return invalid("hold timeout must be between 0 and %s", holdTimeoutMax)
	}
	if t.Timeout != 0 && !t.Pending {
		return invalid("only a pending transfer has a timeout")
	}
	if t.Linked < 0 {
		return invalid("linked id must be positive")
	}
	if len(t.Metadata) > 0 {
		b, _ := json.Marshal(t.Metadata)
		if len(b) > metadataBytesMax {
			return invalid("metadata over %d bytes", metadataBytesMax)
		}
	}
	return nil
}

// hash is the request's fingerprint for idempotency: the same key with a
// different hash is a different request. Scope and key are not part of it.
func (r *Request) hash() string {
	h := sha256.New()
	var buf [8]byte
	num := func(v int64) {
		binary.BigEndian.PutUint64(buf[:], uint64(v))
		h.Write(buf[:])
	}
	str := func(s string) {
		num(int64(len(s)))
		h.Write([]byte(s))
	}
	num(int64(len(r.Transfers)))
	for _, t := range r.Transfers {
		str(t.Kind)
		num(t.Debit)
		num(t.Credit)
		num(t.Amount)
		str(t.Currency)
		if t.Pending {
			num(1)
		} else {
			num(0)
		}
		num(int64(t.Timeout))
		num(t.PostPending)
		num(t.VoidPending)
		num(t.Linked)
		if t.expire {
			num(1)
		}
		str(encodeMetadata(t.Metadata))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// encodeMetadata is canonical: json.Marshal sorts map keys.
func encodeMetadata(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// DecodeRequest parses and validates a JSON request (for tools and tests
// that feed requests from outside; a fuzz target covers it).
func DecodeRequest(b []byte) (Request, error) {
	var r Request
	if err := jsonx.Decode(b, &r); err != nil {
		return Request{}, fmt.Errorf("ledger: malformed transfer request: %w", err)
	}
	if err := r.Validate(); err != nil {
		return Request{}, err
	}
	return r, nil
}

// ParseAmount parses a decimal integer amount in minor units: digits only,
// no sign, no fraction, no leading zeros, 1..AmountMax.
func ParseAmount(s string) (int64, error) {
	if s == "" || len(s) > 19 {
		return 0, invalid("amount must be 1-19 digits")
	}
	if s[0] == '0' {
		return 0, invalid("amount must be a positive integer without leading zeros")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, invalid("amount must be a positive integer in minor units")
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 || v > AmountMax {
		return 0, invalid("amount must be between 1 and %d", AmountMax)
	}
	return v, nil
}

// addChecked adds without overflow.
func addChecked(a, b int64) (int64, bool) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, false
	}
	return a + b, true
}
