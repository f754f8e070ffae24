package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersion: version prints the module's version and the VCS revision the build recorded,
// -dirty after it for a tree with changes not committed, or says why there is none.
func TestVersion(t *testing.T) {
	t.Parallel()
	const rev = "9692b4bef55ab5a338334fb45dcf7bb8bbb2cff7"
	build := func(version string, settings ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/bolna-campaign/bolna-campaign", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return info
	}
	cases := []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"a release", build("v1.4.0", "vcs.revision", rev, "vcs.time", "2026-12-07T13:51:00Z", "vcs.modified", "false"),
			"bolna-campaign v1.4.0 (revision 9692b4bef55a, committed 2026-12-07T13:51:00Z) go1.26.8"},
		{"changes not committed", build("v0.0.0-20261207135100-9692b4bef55a+dirty", "vcs.revision", rev, "vcs.time", "2026-12-07T13:51:00Z", "vcs.modified", "true"),
			"bolna-campaign v0.0.0-20261207135100-9692b4bef55a+dirty (revision 9692b4bef55a-dirty, committed 2026-12-07T13:51:00Z) go1.26.8"},
		{"no revision", build("(devel)"),
			"bolna-campaign (devel) (no VCS revision recorded: built outside a git checkout, or with -buildvcs=false) go1.26.8"},
	}
	for _, c := range cases {
		if got := versionLine(c.info, true); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
	inv := newInvocation(nil)
	info, ok := debug.ReadBuildInfo()
	if code := inv.run("version"); code != exitOK || inv.stdout.String() != versionLine(info, ok)+"\n" {
		t.Errorf("version: exit %d, %q, want %q", code, inv.stdout.String(), versionLine(info, ok))
	}
	if !strings.Contains(inv.stdout.String(), info.GoVersion) {
		t.Errorf("version: %q lacks the Go version", inv.stdout.String())
	}
}
