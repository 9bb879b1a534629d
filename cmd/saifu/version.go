package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// versionString describes the build from its build info (nil when the
// binary has none): the module version that `go install …@v1.2.3` stamps,
// else "(devel)"; the VCS revision, time and a modified flag when `go build`
// recorded them (-buildvcs, the default in a git checkout); the Go version.
func versionString(bi *debug.BuildInfo) string {
	v, goVersion := "(devel)", runtime.Version()
	var rev, at string
	modified := false
	if bi != nil {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "saifu %s", v)
	if rev != "" {
		fmt.Fprintf(&b, " (commit %s", rev)
		if at != "" {
			fmt.Fprintf(&b, ", %s", at)
		}
		if modified {
			b.WriteString(", modified")
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, " %s", goVersion)
	return b.String()
}

// buildVersion is versionString of this binary.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return versionString(bi)
}
