package web

import "testing"

// TestSafeNext: only a local absolute path of printable characters is
// gone back to; anything a browser could read as another host is "/".
func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/history?cursor=x":    "/history?cursor=x",
		"/":                    "/",
		"":                     "/",
		"https://evil.example": "/",
		"//evil.example":       "/",
		"/\\evil.example":      "/",
		"/\t/evil.example":     "/",
		"/\x0b/evil.example":   "/",
		"/\x00/evil.example":   "/",
		"/ /evil.example":      "/",
		"/\r\n/evil.example":   "/",
		"/\u2028/evil":         "/",
		"/notices":             "/notices",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}
