package wallet

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// Bounds of a merchant's list of charges.
const (
	// ChargesPageDefault and ChargesPageMax bound one page: a page is
	// read in one transaction, with its refunds.
	ChargesPageDefault = 20
	ChargesPageMax     = 100
	// ChargeRefundsMax bounds the refunds shown with each charge (the
	// charge's refunded total always counts them all): a charge may be
	// refunded yen by yen.
	ChargeRefundsMax = 20
	// chargeCursorBytesMax bounds a cursor before it is decoded.
	chargeCursorBytesMax = 100
)

// ChargeStatuses are the statuses a list of charges can be filtered by.
var ChargeStatuses = []string{StatusPending, StatusSucceeded, StatusDeclined, StatusFailed}

// ChargeQuery selects a page of a merchant's charges.
type ChargeQuery struct {
	Limit  int    // 1 to ChargesPageMax
	Cursor string // "" for the first page, else a page's NextCursor
	Status string // "" for every status, else one of ChargeStatuses
}

// Charge is a payment to the merchant as the merchant sees it: by CPM (it
// charged a payment code) or by MPM (the customer paid its QR code), with
// its first ChargeRefundsMax refunds, oldest first.
type Charge struct {
	Payment
	Refunds     []Refund
	MoreRefunds bool // the charge has more refunds than Refunds shows
}

// ChargePage is one page of charges, newest first, and the opaque cursor
// of the next page ("" on the last).
type ChargePage struct {
	Items      []Charge
	NextCursor string
}

func errChargeQuery(en, ja string) error { return apperr.E(apperr.Invalid, en).JA(ja) }

// paymentIDRE is what newID("pay_") makes; a cursor names only such ids.
var paymentIDRE = regexp.MustCompile(`^pay_[0-9a-f]{32}$`)

// chargeCursor is the position after the last charge of a page: its
// created_at (ms) and id, base64url("c1:<ms>:<id>").
func chargeCursor(p Payment) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c1:" + strconv.FormatInt(ms(p.CreatedAt), 10) + ":" + p.ID))
}

func parseChargeCursor(c string) (atMS int64, id string, err error) {
	bad := errChargeQuery("invalid cursor: pass next_cursor of the previous page as it is", "カーソルが正しくありません。前のページの next_cursor をそのまま指定してください")
	if len(c) > chargeCursorBytesMax {
		return 0, "", bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", bad
	}
	rest, ok := strings.CutPrefix(string(raw), "c1:")
	at, id, ok2 := strings.Cut(rest, ":")
	atMS, err = strconv.ParseInt(at, 10, 64)
	if !ok || !ok2 || err != nil || atMS < 0 || !paymentIDRE.MatchString(id) {
		return 0, "", bad
	}
	return atMS, id, nil
}

// Charges returns a page of the merchant's charges, newest first in a
// stable order (created_at, then id, both descending), by keyset on that
// order: a charge made while the merchant pages never shifts the pages
// after it, and no charge shows twice. Only the merchant's own charges are
// read. Errors: apperr.Invalid for a limit out of range, a cursor not made
// by this method or an unknown status (nothing is read).
func (s *Service) Charges(ctx context.Context, merchantID string, q ChargeQuery) (ChargePage, error) {
	if q.Limit < 1 || q.Limit > ChargesPageMax {
		return ChargePage{}, errChargeQuery(fmt.Sprintf("limit must be an integer from 1 to %d", ChargesPageMax),
			fmt.Sprintf("limit は 1〜%d の整数にしてください", ChargesPageMax))
	}
	if q.Status != "" && !slices.Contains(ChargeStatuses, q.Status) {
		return ChargePage{}, errChargeQuery("status must be one of "+strings.Join(ChargeStatuses, ", "),
			"status は "+strings.Join(ChargeStatuses, "、")+" のいずれかにしてください")
	}
	where := `merchant_id = ?`
	args := []any{merchantID}
	if q.Status != "" {
		where += ` AND status = ?`
		args = append(args, q.Status)
	}
	if q.Cursor != "" {
		atMS, id, err := parseChargeCursor(q.Cursor)
		if err != nil {
			return ChargePage{}, err
		}
		where += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, atMS, atMS, id)
	}
	args = append(args, q.Limit+1)
	var page ChargePage
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		page = ChargePage{Items: []Charge{}}
		rows, err := tx.Query(ctx, `SELECT `+paymentCols+` FROM wallet_payments WHERE `+where+` ORDER BY created_at DESC, id DESC LIMIT ?`, args...)
		if err != nil {
			return fmt.Errorf("wallet: list charges: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPayment(rows)
			if err != nil {
				return fmt.Errorf("wallet: list charges: %w", err)
			}
			page.Items = append(page.Items, Charge{Payment: p, Refunds: []Refund{}})
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("wallet: list charges: %w", err)
		}
		rows.Close()
		if len(page.Items) > q.Limit {
			page.Items = page.Items[:q.Limit]
			page.NextCursor = chargeCursor(page.Items[q.Limit-1].Payment)
		}
		return s.chargeRefunds(ctx, tx, merchantID, page.Items)
	})
	if err != nil {
		return ChargePage{}, err
	}
	return page, nil
}

// chargeRefunds fills in the first ChargeRefundsMax refunds of each charge
// in one query (at most ChargesPageMax charges).
func (s *Service) chargeRefunds(ctx context.Context, tx *store.Tx, merchantID string, items []Charge) error {
	if len(items) == 0 {
		return nil
	}
	at := make(map[string]int, len(items))
	args := []any{merchantID}
	for i, c := range items {
		at[c.ID] = i
		args = append(args, c.ID)
	}
	args = append(args, ChargeRefundsMax+1)
	rows, err := tx.Query(ctx, `SELECT id, payment_id, merchant_id, amount, lite_amount, money_amount, status, created_at FROM (
			SELECT r.*, ROW_NUMBER() OVER (PARTITION BY payment_id ORDER BY created_at, id) AS n
			FROM wallet_refunds r WHERE merchant_id = ? AND payment_id `+store.In(len(items))+`
		) x WHERE n <= ? ORDER BY payment_id, created_at, id`, args...)
	if err != nil {
		return fmt.Errorf("wallet: list refunds: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Refund
		var created int64
		if err := rows.Scan(&r.ID, &r.PaymentID, &r.MerchantID, &r.Amount, &r.LiteAmount, &r.MoneyAmount, &r.Status, &created); err != nil {
			return fmt.Errorf("wallet: list refunds: %w", err)
		}
		r.CreatedAt = fromMS(created)
		c := &items[at[r.PaymentID]]
		if len(c.Refunds) == ChargeRefundsMax {
			c.MoreRefunds = true
			continue
		}
		c.Refunds = append(c.Refunds, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("wallet: list refunds: %w", err)
	}
	return nil
}
