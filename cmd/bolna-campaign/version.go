package main

import (
	"fmt"
	"runtime/debug"
)

// versionLine is what `bolna-campaign version` prints: the module's version and the VCS
// revision the binary was built from (12 digits, -dirty when the tree had changes not
// committed), from the build information the go command records; or why there is no revision.
func versionLine(info *debug.BuildInfo, ok bool) string {
	b, known := buildOf(info, ok)
	if !known {
		return "bolna-campaign (unknown version: the binary carries no build information)"
	}
	line := "bolna-campaign " + b.version
	switch {
	case b.rev == "":
		line += " (no VCS revision recorded: built outside a git checkout, or with -buildvcs=false)"
	case b.dirty:
		line += fmt.Sprintf(" (revision %.12s-dirty, committed %s)", b.rev, b.at)
	default:
		line += fmt.Sprintf(" (revision %.12s, committed %s)", b.rev, b.at)
	}
	return line + " " + b.goVersion
}

// version is the module version and the commit the binary was built from, for User-Agent
// headers.
func version() string {
	b, known := buildOf(debug.ReadBuildInfo())
	if !known {
		return "(unknown)"
	}
	v := b.version
	if b.rev != "" {
		dirty := ""
		if b.dirty {
			dirty = ", with local changes"
		}
		v += fmt.Sprintf(" (commit %.12s, %s%s)", b.rev, b.at, dirty)
	}
	return v + " " + b.goVersion
}

// build is what the go command recorded of a binary's build.
type build struct {
	version, goVersion string
	rev, at            string // the VCS revision and its time ("" when none was recorded)
	dirty              bool   // the tree had changes not committed
}

// buildOf reads info (as debug.ReadBuildInfo returns it); known is false without it.
func buildOf(info *debug.BuildInfo, ok bool) (b build, known bool) {
	if !ok || info == nil {
		return build{}, false
	}
	b = build{version: info.Main.Version, goVersion: info.GoVersion}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.rev = s.Value
		case "vcs.time":
			b.at = s.Value
		case "vcs.modified":
			b.dirty = s.Value == "true"
		}
	}
	return b, true
}
