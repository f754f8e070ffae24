package main

import (
	"fmt"
	"runtime/debug"
)

// versionLine is what `bolna-campaign version` prints: the module's version and the VCS
// revision the binary was built from (12 digits, -dirty when the tree had changes not
// committed), from the build information the go command records; or why there is no revision.
func versionLine(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "bolna-campaign (unknown version: the binary carries no build information)"
	}
	var rev, at string
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	line := "bolna-campaign " + info.Main.Version
	switch {
	case rev == "":
		line += " (no VCS revision recorded: built outside a git checkout, or with -buildvcs=false)"
	case dirty:
		line += fmt.Sprintf(" (revision %.12s-dirty, committed %s)", rev, at)
	default:
		line += fmt.Sprintf(" (revision %.12s, committed %s)", rev, at)
	}
	return line + " " + info.GoVersion
}
