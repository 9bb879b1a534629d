package ops

import (
	"context"
	"fmt"
)

// RequestCompensationFromSearch asks, for a risk operator, to pay back
// the users an incident search finds: each matched user is one item, of
// the sum of their events matched at the pattern's last money step (for
// "a reset, then card top-ups within a day": every top-up within a day
// after a reset). The items are computed here, from the data as it is
// now, and then go the way a list's do (RequestCompensation): stored as
// they are, shown to the approver, paid once approved. The search is
// audited as one ("search", for a compensation), and the compensation
// with the search it came from ("compensation.from_search", in the
// transaction that stores it). Errors: those of Search and
// RequestCompensation, and apperr.Invalid when the pattern has no money
// step, the search matches nobody, or a user's sum is over 1,000,000 (a
// compensation's ceiling per user: give them as a list).
func (o *Operators) RequestCompensationFromSearch(ctx context.Context, s Session, reason string, req SearchRequest) (Compensation, error) {
	const action = "compensation.request"
	if err := o.require(ctx, s, RoleRisk, action); err != nil {
		return Compensation{}, err
	}
	if err := checkRequiredReason(reason); err != nil {
		return Compensation{}, o.refuse(ctx, s, action, "compensations", err)
	}
	q, err := parseSearch(req, o.now())
	if err == nil && q.pattern.LastMoneyStep() < 0 {
		err = invalid("a compensation from a search needs a money event in the pattern (card_topup, bank_topup, payment, p2p, withdrawal): its last one's amounts are paid",
			"検索から補償するには、パターンにお金の動くイベント（card_topup、bank_topup、payment、p2p、withdrawal）が必要です（最後のものの金額を補償します）")
	}
	if err != nil {
		return Compensation{}, o.refuse(ctx, s, action, "compensations", err)
	}
	res, err := o.runSearch(ctx, s, q, "for a compensation")
	if err != nil {
		return Compensation{}, err
	}
	if len(res.Users) == 0 {
		return Compensation{}, o.refuse(ctx, s, action, "compensations", invalid("the search matches nobody: there is nothing to compensate",
			"検索に該当するユーザーがいないため、補償の対象がありません"))
	}
	items := make([]CompensationItem, 0, len(res.Users))
	for _, u := range res.Users {
		if u.Compensation > compensationAmountMax {
			return Compensation{}, o.refuse(ctx, s, action, "compensations", invalid(
				fmt.Sprintf("user %s's matched amount %d is over %d, a compensation's ceiling per user: narrow the search or give the items as a list", u.UserID, u.Compensation, compensationAmountMax),
				fmt.Sprintf("ユーザー %s の該当額 %d円 が1人あたりの上限 %d円 を超えます。条件を絞るか、items で指定してください", u.UserID, u.Compensation, compensationAmountMax)))
		}
		items = append(items, CompensationItem{UserID: u.UserID, Amount: u.Compensation})
	}
	return o.requestCompensation(ctx, s, reason, items, res.Query)
}
