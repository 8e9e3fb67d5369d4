package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/cheader"
	"github.com/xen-pvczar/pvczar/specimport"
)

func init() {
	register(&command{
		name: "spec import", fileOnly: true, args: "HEADER.h", summary: "write a pvspec skeleton from a xen.git public io header, with x86_64 offsets and comments where x86_32, arm32 and arm64 differ", read: true, nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.name, "id", "", "the spec's id (default: the header's file name without .h)")
			fs.StringVar(&o.out, "out", "", "write the spec to this file instead of stdout")
		},
		run: runSpecImport,
	})
}

func runSpecImport(ctx context.Context, c *cli, args []string) error {
	file := args[0]
	f, err := os.Open(file)
	if err != nil {
		return pvczar.Errorf(pvczar.EINVALID, "%s:1: %v", file, err)
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, cheader.MaxInput+1))
	if err != nil {
		return pvczar.Errorf(pvczar.EINVALID, "%s:1: %v", file, err)
	}
	id := c.opts.name
	if id == "" {
		id = strings.TrimSuffix(filepath.Base(file), ".h")
	}
	r, err := specimport.Import(file, src, id)
	var bad *cheader.Error
	switch {
	case errors.As(err, &bad):
		return pvczar.Errorf(pvczar.EINVALID, "%v", err) // a header cheader cannot read
	case err != nil:
		return err // a skeleton that is not a spec: a fault of the import
	}
	if c.opts.out != "" {
		if err := os.WriteFile(c.opts.out, r.YAML, 0o644); err != nil {
			return pvczar.Errorf(pvczar.EINVALID, "--out: %v", err)
		}
	}
	if c.json {
		v := struct {
			*specimport.Result
			File string `json:"file"`
			ID   string `json:"id"`
			Spec string `json:"spec,omitempty"`
		}{Result: r, File: file, ID: id}
		if c.opts.out == "" {
			v.Spec = string(r.YAML)
		}
		return printJSON(c.stdout, v)
	}
	if c.opts.out == "" {
		c.stdout.Write(r.YAML)
	}
	fmt.Fprintf(c.stderr, "%s: %d structs, %d fields, %d enums, %d rings; %d ABI difference(s)\n", file, r.Structs, r.Fields, r.Enums, r.Rings, len(r.Differences))
	for _, d := range r.Differences {
		fmt.Fprintf(c.stderr, "  %s\n", d)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(c.stderr, "  note: %s\n", n)
	}
	for _, todo := range r.TODOs {
		fmt.Fprintf(c.stderr, "  TODO (spec check): %s\n", todo)
	}
	return nil
}
