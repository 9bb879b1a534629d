package identity

// webAuthn is the passkey relying party (filled in by passkey support).
type webAuthn struct{}

func newWebAuthn(cfg Config) (*webAuthn, error) { return &webAuthn{}, nil }
