package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

func init() {
	register(&command{
		name: "version", fileOnly: true, summary: "print pvczar's version: its module version and the VCS revision it was built from", read: true, nargs: [2]int{0, 0},
		run: func(ctx context.Context, c *cli, args []string) error {
			v := buildVersion()
			if c.json {
				return printJSON(c.stdout, v)
			}
			line := "pvczar " + v.Version
			if v.Revision != "" {
				line += " (" + v.Revision
				if v.Time != "" {
					line += ", " + v.Time
				}
				if v.Modified {
					line += ", modified"
				}
				line += ")"
			}
			fmt.Fprintln(c.stdout, line+" "+v.Go)
			return nil
		},
	})
}

// version is what `pvczar version` reports, from the build information the
// Go toolchain stamps into the binary (the revision only when it was built
// with VCS stamping, as `go build` does in a git checkout by default).
type version struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
}

func buildVersion() version {
	v := version{Module: "github.com/xen-pvczar/pvczar", Version: "(unknown)"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Module, v.Version, v.Go = info.Main.Path, info.Main.Version, info.GoVersion
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}
