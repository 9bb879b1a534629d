package identity

import "time"

// Rate is at most N events per Window.
type Rate struct {
	N      int
	Window time.Duration
}

// Limits are the throttles of the identity flows. Each counter lives in the
// database (internal/throttle), so a limit holds across saifu nodes and a
// parallel burst cannot exceed it.
type Limits struct {
	// Login attempts, counted before any password hash is computed.
	LoginGlobal       Rate // every unknown-device login of the whole service
	LoginGlobalKnown  Rate // logins presenting a device cookie known for the account
	LoginIP           Rate // per client address
	LoginNetwork      Rate // per /24 (IPv4) or /64 (IPv6)
	LoginAccount      Rate // per account from unknown devices (≤100/hour)
	LoginAccountKnown Rate // per account and known device
	// FailuresFree is how many consecutive failures an account takes before
	// each further attempt must wait a delay that doubles per failure, from
	// FailureDelayBase up to FailureDelayMax.
	FailuresFree     int
	FailureDelayBase time.Duration
	FailureDelayMax  time.Duration
	// Credential stuffing: within StuffingWindow, StuffingAccounts distinct
	// existing accounts failing from one address, or at least
	// StuffingAttemptsMin attempts with a success ratio under
	// StuffingRatioMin, raise an alert and divide that address's login
	// limit by StuffingTighten for StuffingFlagFor. A network (/24, /64)
	// is flagged the same way — its address and network limits divided —
	// at StuffingNetworkWeight times those thresholds, reached from at
	// least two addresses. A flag lasts minutes, not an hour: long enough
	// to blunt a flood, short for the neighbours who share the network.
	StuffingWindow        time.Duration
	StuffingAccounts      int
	StuffingAttemptsMin   int
	StuffingRatioMin      float64
	StuffingNetworkWeight int
	StuffingTighten       int
	StuffingFlagFor       time.Duration
	// Sign-up and verification codes.
	SignupEmail  Rate // sign-up mails per address (the resend limit)
	SignupIP     Rate // sign-ups per client address
	CodeAttempts int  // guesses per 6-digit code
	CodeTTL      time.Duration
	// Password reset.
	ForgotEmail Rate // reset mails per address
	ForgotIP    Rate
	ResetTTL    time.Duration
	// MFA: guesses per mfa_token and per account.
	MFAAttempts int
	MFATTL      time.Duration
	MFAAccount  Rate
	// Re-authentication attempts per session.
	Reauth Rate
}

// DefaultLimits are the production limits.
var DefaultLimits = Limits{
	LoginGlobal:           Rate{300, time.Second},
	LoginGlobalKnown:      Rate{300, time.Second},
	LoginIP:               Rate{60, 10 * time.Minute},
	LoginNetwork:          Rate{240, 10 * time.Minute},
	LoginAccount:          Rate{100, time.Hour},
	LoginAccountKnown:     Rate{30, time.Hour},
	FailuresFree:          10,
	FailureDelayBase:      time.Second,
	FailureDelayMax:       5 * time.Minute,
	StuffingWindow:        10 * time.Minute,
	StuffingAccounts:      10,
	StuffingAttemptsMin:   30,
	StuffingRatioMin:      0.1,
	StuffingNetworkWeight: 3,
	StuffingTighten:       10,
	StuffingFlagFor:       15 * time.Minute,
	SignupEmail:           Rate{5, time.Hour},
	SignupIP:              Rate{30, time.Hour},
	CodeAttempts:          5,
	CodeTTL:               15 * time.Minute,
	ForgotEmail:           Rate{5, time.Hour},
	ForgotIP:              Rate{30, time.Hour},
	ResetTTL:              30 * time.Minute,
	MFAAttempts:           5,
	MFATTL:                5 * time.Minute,
	MFAAccount:            Rate{20, time.Hour},
	Reauth:                Rate{10, 10 * time.Minute},
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	rate := func(p *Rate, def Rate) {
		if p.N <= 0 || p.Window <= 0 {
			*p = def
		}
	}
	rate(&l.LoginGlobal, d.LoginGlobal)
	rate(&l.LoginGlobalKnown, d.LoginGlobalKnown)
	rate(&l.LoginIP, d.LoginIP)
	rate(&l.LoginNetwork, d.LoginNetwork)
	rate(&l.LoginAccount, d.LoginAccount)
	rate(&l.LoginAccountKnown, d.LoginAccountKnown)
	rate(&l.SignupEmail, d.SignupEmail)
	rate(&l.SignupIP, d.SignupIP)
	rate(&l.ForgotEmail, d.ForgotEmail)
	rate(&l.ForgotIP, d.ForgotIP)
	rate(&l.MFAAccount, d.MFAAccount)
	rate(&l.Reauth, d.Reauth)
	num := func(p *int, def int) {
		if *p <= 0 {
			*p = def
		}
	}
	num(&l.FailuresFree, d.FailuresFree)
	num(&l.StuffingAccounts, d.StuffingAccounts)
	num(&l.StuffingAttemptsMin, d.StuffingAttemptsMin)
	num(&l.StuffingNetworkWeight, d.StuffingNetworkWeight)
	num(&l.StuffingTighten, d.StuffingTighten)
	num(&l.CodeAttempts, d.CodeAttempts)
	num(&l.MFAAttempts, d.MFAAttempts)
	dur := func(p *time.Duration, def time.Duration) {
		if *p <= 0 {
			*p = def
		}
	}
	dur(&l.FailureDelayBase, d.FailureDelayBase)
	dur(&l.FailureDelayMax, d.FailureDelayMax)
	dur(&l.StuffingWindow, d.StuffingWindow)
	dur(&l.StuffingFlagFor, d.StuffingFlagFor)
	dur(&l.CodeTTL, d.CodeTTL)
	dur(&l.ResetTTL, d.ResetTTL)
	dur(&l.MFATTL, d.MFATTL)
	if l.StuffingRatioMin <= 0 {
		l.StuffingRatioMin = d.StuffingRatioMin
	}
	return l
}
