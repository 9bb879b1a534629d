package sandbox

// Faults are deliberately broken behaviours of the counterparts: the
// doubles with which the Go tests show that a red-team scenario reports
// BREACHED when the outside world's control is missing (cmd/saifu
// TestRedteamScenariosCanFail), as the issue asks of controls without a
// setting. Only Go code sets them (app.Config.SandboxFaults): `saifu
// serve` has no flag or environment variable for them, and the zero
// value is the sandbox as documented.
type Faults struct {
	// BankSkipsOTP: after the right password the bank shows its consent
	// page at once, asking for and sending no one-time code (linking with
	// a password alone, as at the banks of docomo-koza 2020).
	BankSkipsOTP bool
	// BankSilent: the bank texts the holder nothing when an account is
	// linked, and its holder API leaves out the holder's phone, so that
	// nobody can tell the holder.
	BankSilent bool
	// BankTrustsKnowledge: the bank's login screen also takes an account
	// number, a cash-card PIN and the holder's birth date in place of the
	// login and password, and shows its consent page at once (no one-time
	// code), as the banks of docomo-koza 2020 linked accounts. The double
	// checks only that the account number is the bank's and that a PIN
	// and a birth date were given: the attack it stands for assumes the
	// attacker knows all three, so checking them would show nothing more.
	BankTrustsKnowledge bool
}

// SetFaults breaks the counterparts as f says (tests only).
func (s *Sandbox) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

func (s *Sandbox) fault() Faults {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.faults
}
