package redteam

import (
	"context"
	"fmt"
	"regexp"
)

func init() {
	register(Scenario{
		Name: "docomo-koza/bank-holder-not-told", Incident: "docomo-koza 2020",
		Attack: "open a wallet in the victim's name (the attacker's own mail address), link the victim's bank account through the bank's screens, and hope the holder hears of it only from a statement",
		// The link's screens, then the wait for the holder's texts: a
		// mailbox read every mailPollEvery for up to mailWait (80).
		Requests: 160,
		Run:      runHolderNotTold,
	})
}

func runHolderNotTold(ctx context.Context, t *Target) (Outcome, string, error) {
	// Whichever fixture the link takes, what its holder's phone had before.
	before := map[string]int{}
	for _, i := range linkOrder {
		f := bankFixtures[i]
		n, err := t.Count(ctx, f.Phone)
		if err != nil {
			return failed(err)
		}
		before[f.Phone] = n
	}
	l, err := t.linkedUser(ctx, "koza-attacker", linkOrder)
	if err != nil {
		return failed(err)
	}
	defer l.cleanup()
	if l.last4 == "" {
		return failed(errorf("the active link %s shows no account_last4", l.id))
	}
	// The holder's phone is the channel the attacker does not control;
	// the wallet's own address (the attacker's) is told too, and counts
	// for nothing here.
	told := regexp.MustCompile(`(?:ending|末尾)\s*` + regexp.QuoteMeta(l.last4) + `\b`)
	if _, err := t.WaitFind(ctx, l.f.Phone, before[l.f.Phone], told); err != nil {
		return breached("%s's account ending %s was linked to a wallet they do not own, and nothing reached their phone %s: %v", l.f.Holder, l.last4, l.f.Phone, err)
	}
	msgs, err := t.Messages(ctx, l.f.Phone)
	if err != nil {
		return failed(err)
	}
	var notices []string
	for _, m := range msgs[before[l.f.Phone]:] {
		if told.MatchString(m.Body) {
			notices = append(notices, fmt.Sprintf("%.60q", m.Body))
		}
	}
	return defended("the holder's phone %s was told of the link of the account ending %s: %v", l.f.Phone, l.last4, notices)
}
