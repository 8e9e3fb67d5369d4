package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/pvspec"
)

func init() {
	register(&command{
		name: "spec render", fileOnly: true, args: "FILE", summary: "render a pvspec file as Markdown documentation (octet diagrams, field tables, the handshake), a C reference header or Go types", read: true, nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.format, "format", "markdown", "markdown, c or go")
			fs.StringVar(&o.out, "out", "", "write to this file (default: standard output)")
			fs.StringVar(&o.pkg, "package", "", "the Go package name, for --format go (default: the spec id)")
		},
		run: runSpecRender,
	})
}

// runSpecRender renders a spec even when spec check finds problems, with a
// warning, so that a spec in progress can be read; a file that is not a
// spec is refused (exit 2).
func runSpecRender(ctx context.Context, c *cli, args []string) error {
	f := c.opts
	var render func(io.Writer, *pvspec.Spec) error
	switch f.format {
	case "markdown", "md":
		render = pvspec.RenderMarkdown
	case "c":
		render = pvspec.RenderC
	case "go":
		render = func(w io.Writer, s *pvspec.Spec) error { return pvspec.RenderGo(w, s, f.pkg) }
	default:
		return pvczar.Errorf(pvczar.EINVALID, "--format %q: want markdown, c or go", f.format)
	}
	if f.pkg != "" && f.format != "go" {
		return pvczar.Errorf(pvczar.EINVALID, "--package is for --format go")
	}
	s, err := readSpec(args[0])
	if err != nil {
		return err
	}
	if n := len(pvspec.Check(s)); n > 0 {
		fmt.Fprintf(c.stderr, "pvczar spec render: warning: %s has %d problem(s) (see `pvczar spec check %s`); rendering it anyway\n", args[0], n, args[0])
	}
	var b bytes.Buffer
	if err := render(&b, s); err != nil {
		return pvczar.Errorf(pvczar.EINVALID, "%s: %v", args[0], err)
	}
	if f.out == "" {
		_, err = c.stdout.Write(b.Bytes())
		return err
	}
	if err := os.WriteFile(f.out, b.Bytes(), 0o644); err != nil {
		return pvczar.Errorf(pvczar.EINVALID, "--out: %v", err)
	}
	return nil
}
