package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestBuild(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "passwords.json")
	if err := os.WriteFile(in, []byte(`["qwerty", "Password", "password", " 123456 ", "", "a\nb", "QWERTY"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		entriesMin int
		want       string
		wantErr    bool
	}{
		{name: "lower-cased, deduplicated, sorted", entriesMin: 1, want: "123456\npassword\nqwerty\n"},
		{name: "too few entries refused", entriesMin: 4, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "blocklist.txt.gz")
			n, err := build(in, out, tc.entriesMin)
			if tc.wantErr {
				if err == nil {
					t.Fatal("build succeeded, want error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gz, _ := os.ReadFile(out)
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(zr)
			if string(got) != tc.want || n != 3 {
				t.Fatalf("built %d entries %q, want 3 %q", n, got, tc.want)
			}
			again := filepath.Join(t.TempDir(), "again.gz")
			build(in, again, tc.entriesMin)
			if b, _ := os.ReadFile(again); !bytes.Equal(b, gz) {
				t.Fatal("two builds from one input differ")
			}
		})
	}
}
