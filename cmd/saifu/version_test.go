package main

import (
	"bytes"
	"context"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVersionString(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"no build info", nil, "saifu (devel) " + runtime.Version()},
		{"go install at a tag", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}}, "saifu v1.2.3 go1.26.8"},
		{"go build in a checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs.revision", "f26ecd8", "vcs.time", "2026-01-02T03:04:05Z", "vcs.modified", "true")},
			"saifu (devel) (commit f26ecd8, 2026-01-02T03:04:05Z, modified) go1.26.8"},
		{"clean checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20260102030405-f26ecd8abcde"},
			Settings: vcs("vcs.revision", "f26ecd8abcde", "vcs.modified", "false")},
			"saifu v0.0.0-20260102030405-f26ecd8abcde (commit f26ecd8abcde) go1.26.8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(versionString(tt.bi), tt.want); diff != "" {
				t.Errorf("(-got +want):\n%s", diff)
			}
		})
	}
}

// TestHelpAndVersionAreNotErrors: asking for help or the version of any
// command prints it and exits 0.
func TestHelpAndVersionAreNotErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStdout string
	}{
		{"version", []string{"version"}, "saifu "},
		{"--version", []string{"--version"}, "saifu "},
		{"-h", []string{"-h"}, "usage: saifu <command>"},
		{"bench -h", []string{"bench", "-h"}, "usage: saifu bench <target>"},
		{"bench help", []string{"bench", "help"}, "usage: saifu bench <target>"},
		{"merchant -h", []string{"merchant", "-h"}, "usage: saifu merchant <command>"},
		{"ops -h", []string{"ops", "-h"}, "usage: saifu ops <command>"},
		{"ops help", []string{"ops", "help"}, "usage: saifu ops <command>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), tt.args, func(string) string { return "" }, &out, &errb)
			if err != nil {
				t.Fatalf("run %v = %v (exit %d); stderr:\n%s", tt.args, err, exitCode(err), errb.String())
			}
			if !strings.HasPrefix(out.String(), tt.wantStdout) {
				t.Errorf("stdout = %q, want it to start with %q", out.String(), tt.wantStdout)
			}
		})
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, func(string) string { return "" }, &out, &out); err == nil {
		if !strings.Contains(out.String(), runtime.Version()) {
			t.Errorf("--version = %q, want the Go version in it", out.String())
		}
	}
}
