package redteam

import "testing"

// TestCodeNotFromAddress: a six-digit run inside an address (the run's
// random tag) is never taken for the mailed code.
func TestCodeNotFromAddress(t *testing.T) {
	body := "Someone asked to move a saifu account to this address (rt.attacker-mail.a123456f.7@example.com).\n\nConfirmation code: 654321\n\nIt expires in 15 minutes."
	if c, ok := codeIn(body + " for 100000 yen"); !ok || c != "654321" {
		t.Fatalf("code = %v, want 654321", c)
	}
}
