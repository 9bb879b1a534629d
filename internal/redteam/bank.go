package redteam

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// bankFixture is one of the sandbox bank's seeded accounts (API.md
// "Sandbox fixtures").
type bankFixture struct {
	Bank, Login, Password, Holder, Phone, Number string
}

// bankFixtures are the sandbox's accounts. A bank account links to one
// saifu user at a time, so a scenario that links one removes its link
// when it is done (unlinkAll).
var bankFixtures = []bankFixture{
	{"0001", "yamada", "yamada-pass-0001", "YAMADA TARO", "+819000000001", "1234567"},
	{"0001", "suzuki", "suzuki-pass-0001", "SUZUKI HANAKO", "+819000000002", "7654321"},
	{"0002", "tanaka", "tanaka-pass-0002", "TANAKA ICHIRO", "+819000000003", "2468013"},
	// TANAKA ICHIRO's second account, at the other bank and on another
	// phone: the one an attacker opened in the victim's name (SBI).
	{"0001", "ichiro", "ichiro-pass-0001", "TANAKA ICHIRO", "+819000000004", "1357924"},
}

var flowRE = regexp.MustCompile(`name="flow" value="([^"]+)"`)

// flowOf is the hidden flow field of a bank page.
func flowOf(r *Resp) (string, error) {
	m := flowRE.FindSubmatch(r.Body)
	if m == nil {
		return "", fmt.Errorf("no flow field in the bank's page (%d): %.200s", r.Status, r.Body)
	}
	return string(m[1]), nil
}

// StartLink starts a bank link (privileged session) and returns the
// response as it came.
func (a *Agent) StartLink(ctx context.Context, bank string) (*Resp, error) {
	return a.Post(ctx, "/api/v1/bank-links", map[string]string{"bank_code": bank})
}

// bankScreens walks the bank's login and one-time-code screens as the
// holder of f, from authorizeURL, and returns the consent page's flow.
func (a *Agent) bankScreens(ctx context.Context, authorizeURL string, f bankFixture) (string, error) {
	t := a.t
	base := "/sandbox/bank/" + f.Bank
	r, err := a.Get(ctx, authorizeURL)
	if err != nil {
		return "", err
	}
	if err := want(r, "the bank's authorize page", 200); err != nil {
		return "", err
	}
	flow, err := flowOf(r)
	if err != nil {
		return "", err
	}
	before, err := t.Count(ctx, f.Phone)
	if err != nil {
		return "", err
	}
	r, err = a.Form(ctx, base+"/login", url.Values{"flow": {flow}, "login_id": {f.Login}, "password": {f.Password}})
	if err != nil {
		return "", err
	}
	if flow, err = flowOf(r); err != nil {
		return "", err
	}
	otp, err := t.WaitCode(ctx, f.Phone, before)
	if err != nil {
		return "", err
	}
	r, err = a.Form(ctx, base+"/otp", url.Values{"flow": {flow}, "otp": {otp}})
	if err != nil {
		return "", err
	}
	return flowOf(r)
}

// Link links f's account for the agent (KYC'd as f.Holder, privileged)
// through the bank's screens and returns saifu's answer at the callback.
func (a *Agent) Link(ctx context.Context, f bankFixture) (linkID string, callback *Resp, err error) {
	r, err := a.StartLink(ctx, f.Bank)
	if err != nil {
		return "", nil, err
	}
	if err := want(r, "POST /api/v1/bank-links", 200, 201); err != nil {
		return "", nil, err
	}
	linkID = r.Str("bank_link_id")
	flow, err := a.bankScreens(ctx, r.Str("authorize_url"), f)
	if err != nil {
		return "", nil, err
	}
	r, err = a.Form(ctx, "/sandbox/bank/"+f.Bank+"/consent", url.Values{"flow": {flow}, "decision": {"approve"}})
	if err != nil {
		return "", nil, err
	}
	if err := want(r, "the bank's consent", 302, 303); err != nil {
		return "", nil, err
	}
	cb, err := a.Get(ctx, r.Location)
	return linkID, cb, err
}

// linkOrder is the order LinkedUser tries the fixtures in: the README's
// walkthrough takes suzuki's first, then yamada's, and keeps them.
var linkOrder = []int{2, 0, 1}

// LinkedUser signs up a user, KYC-verifies it as the holder of a fixture
// account and links that account through the bank's screens, trying the
// next fixture (with a new user: a verified name is final) when one is
// linked elsewhere. cleanup removes the link, freeing the fixture.
func (t *Target) LinkedUser(ctx context.Context, who string) (u *Agent, linkID string, cleanup func(), err error) {
	l, err := t.linkedUser(ctx, who, linkOrder)
	if err != nil {
		return nil, "", nil, err
	}
	return l.u, l.id, l.cleanup, nil
}

// linked is a user with an active link to a fixture's account.
type linked struct {
	u       *Agent
	id      string // the bank link
	f       bankFixture
	last4   string // the linked account's, as saifu shows it
	cleanup func() // removes the link
}

// linkedUser is LinkedUser trying the fixtures of order.
func (t *Target) linkedUser(ctx context.Context, who string, order []int) (linked, error) {
	var tried []string
	for _, i := range order {
		f := bankFixtures[i]
		u, err := t.NewUser(ctx, who)
		if err != nil {
			return linked{}, err
		}
		if err := u.KYC(ctx, f.Holder); err != nil {
			return linked{}, err
		}
		l, cb, err := u.linkActive(ctx, f)
		if err != nil {
			return linked{}, err
		}
		if cb == nil {
			return l, nil
		}
		tried = append(tried, f.Login+": "+cb.String())
	}
	return linked{}, fmt.Errorf("no sandbox fixture account could be linked (%s): an earlier walkthrough may hold them; restart the demo with a fresh data directory", strings.Join(tried, "; "))
}

// linkActive links f's account for a (KYC'd as f.Holder) and returns
// the active link; when saifu refused it, the callback's answer instead.
func (a *Agent) linkActive(ctx context.Context, f bankFixture) (linked, *Resp, error) {
	id, cb, err := a.Link(ctx, f)
	if err != nil {
		return linked{}, nil, err
	}
	if cb.Status != 200 || cb.Str("status") != "active" {
		return linked{}, cb, nil
	}
	return linked{u: a, id: id, f: f, last4: cb.Str("account_last4"), cleanup: func() {
		// Its own bound: the scenario's context may be done.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
		defer cancel()
		a.Do(ctx, "DELETE", "/api/v1/bank-links/"+id, nil)
	}}, nil, nil
}
