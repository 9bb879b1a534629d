package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeIdentityDemo runs the real `saifu serve --demo` and signs a user
// up through the API, reading the code from the sandbox mailbox: the
// identity service, its migrations and the generated server secret are
// wired. The secret is written 0600 and never printed.
func TestServeIdentityDemo(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	base, out := startServerOutput(t, "--demo", "--data-dir", data)
	post := func(path string, body any, token string) (int, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	if st, m := post("/api/v1/signup", map[string]string{"email": "hanako@example.com", "password": "a demo passphrase 2026"}, ""); st != 202 {
		t.Fatalf("signup = %d %v", st, m)
	}
	var code string
	for deadline := time.Now().Add(15 * time.Second); code == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err := http.Get(base + "/sandbox/api/messages?to=" + url.QueryEscape("hanako@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		code = regexp.MustCompile(`\b\d{6}\b`).FindString(string(b))
	}
	if code == "" {
		t.Fatal("no verification code in the sandbox mailbox")
	}
	st, m := post("/api/v1/signup/verify", map[string]string{"email": "hanako@example.com", "code": code}, "")
	token, _ := m["session_token"].(string)
	if st != 200 || token == "" {
		t.Fatalf("verify = %d %v", st, m)
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("me = %d", res.StatusCode)
	}

	fi, err := os.Stat(filepath.Join(data, "secret.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key: %v, mode %v", err, fi)
	}
	key, _ := os.ReadFile(filepath.Join(data, "secret.key"))
	if k := strings.TrimSpace(string(key)); len(k) < 32 || strings.Contains(out.String(), k) {
		t.Fatalf("secret key too short or printed")
	}
}
