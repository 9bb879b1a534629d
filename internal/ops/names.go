package ops

import (
	"context"
	"fmt"
	"strings"

	"github.com/saifu-pay/saifu/internal/store"
)

// namesMax bounds the operators one lookup of addresses names: a page of
// approvals names two per request.
const namesMax = 2 * approvalPageMax

// operatorEmails returns the address of each operator of ids (bare ids or
// audit actors "operator:<id>") that exists, keyed as given; other actors
// ("system", "bootstrap") are left out. At most namesMax are looked up.
func (o *Operators) operatorEmails(ctx context.Context, ids []string) (map[string]string, error) {
	keys := map[string][]string{} // operator id → the keys it was given as
	var args []any
	for _, k := range ids {
		id := strings.TrimPrefix(k, "operator:")
		if id == "" || len(args) >= namesMax {
			continue
		}
		if _, seen := keys[id]; !seen {
			args = append(args, id)
		}
		keys[id] = append(keys[id], k)
	}
	out := map[string]string{}
	if len(args) == 0 {
		return out, nil
	}
	rows, err := o.db.Query(ctx, `SELECT id, email FROM ops_operators WHERE id `+store.In(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("ops: read operators' addresses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, email string
		if err := rows.Scan(&id, &email); err != nil {
			return nil, fmt.Errorf("ops: read operators' addresses: %w", err)
		}
		for _, k := range keys[id] {
			out[k] = email
		}
	}
	return out, rows.Err()
}
