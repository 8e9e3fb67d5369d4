package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/cheader"
	"github.com/xen-pvczar/pvczar/designdoc"
	"github.com/xen-pvczar/pvczar/specimport"
	"github.com/xen-pvczar/pvczar/verify"
)

func init() {
	register(&command{
		name: "doc check", fileOnly: true, args: "FILE.md|FILE.pandoc|FILE.h",
		summary: "check a design document (or a C header's comments): required topics, C-only structs, octet diagrams and offset tables, numbers, xenstore keys, state names; with --spec, agreement with a pvspec; with --header, agreement with the protocol's C header",
		read:    true, nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.specFile, "spec", "", "a pvspec file (YAML) the document must agree with")
			fs.StringVar(&o.headerFile, "header", "", "the protocol's C header (xen/include/public/io/*.h) the document must agree with: its structs, rings, keys and enums")
			fs.StringVar(&o.stage, "stage", designdoc.StagePrototype, "the stage the document is checked for: design (topics are warnings), prototype or production (adds the compatibility promises)")
		},
		run: runDocCheck,
	})
}

// checkDoc runs the design-document check on file for stage, against
// the spec in specFile and the C header headerFile when they are named.
func checkDoc(file, specFile, headerFile, stage string) ([]designdoc.Finding, error) {
	if !designdoc.ValidStage(stage) {
		return nil, pvczar.Errorf(pvczar.EINVALID, "--stage %q: want design, prototype or production", stage)
	}
	data, err := readBounded(file, designdoc.MaxFileSize)
	if err != nil {
		return nil, err
	}
	d, err := designdoc.Parse(file, data)
	if err != nil {
		return nil, pvczar.Errorf(pvczar.EINVALID, "%v", err)
	}
	opts := designdoc.Options{Stage: stage}
	if specFile != "" {
		s, err := readSpec(specFile)
		if err != nil {
			return nil, err
		}
		opts.Spec = verify.SpecFacts(s)
	}
	if headerFile != "" {
		src, err := readBounded(headerFile, cheader.MaxInput)
		if err != nil {
			return nil, err
		}
		if opts.Header, err = headerFacts(headerFile, src); err != nil {
			return nil, pvczar.Errorf(pvczar.EINVALID, "%v", err)
		}
	}
	return designdoc.Check(d, opts), nil
}

// headerFacts reads a protocol's C header as spec import does and gives
// the document checker its facts.
func headerFacts(file string, src []byte) (*designdoc.SpecFacts, error) {
	id := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	r, err := specimport.Import(file, src, id)
	if err != nil {
		return nil, err
	}
	f := verify.SpecFacts(r.Spec)
	f.File = file
	f.Constants = map[string]int64{}
	twice := map[string]bool{}
	for _, d := range r.Header.Defines {
		if !d.IsInt || d.Function {
			continue
		}
		if v, ok := f.Constants[d.Name]; ok && v != d.Value {
			twice[d.Name] = true // defined apart for some ABIs
		}
		f.Constants[d.Name] = d.Value
	}
	for n := range twice {
		delete(f.Constants, n)
	}
	return f, nil
}

func runDocCheck(ctx context.Context, c *cli, args []string) error {
	findings, err := checkDoc(args[0], c.opts.specFile, c.opts.headerFile, c.opts.stage)
	if err != nil {
		return err
	}
	if c.json {
		if findings == nil {
			findings = []designdoc.Finding{}
		}
		if err := printJSON(c.stdout, map[string]any{"file": args[0], "findings": findings}); err != nil {
			return err
		}
	} else {
		for _, f := range findings {
			fmt.Fprintln(c.stdout, f)
		}
		if len(findings) == 0 {
			fmt.Fprintf(c.stdout, "%s: clean\n", args[0])
		}
	}
	if n := designdoc.Errors(findings); n > 0 {
		return checkFindings{n}
	}
	return nil
}

// readBounded reads a file of at most limit bytes; a larger one is refused.
func readBounded(name string, limit int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, pvczar.Errorf(pvczar.EINVALID, "%v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, pvczar.Errorf(pvczar.EINVALID, "%s: %v", name, err)
	}
	if len(data) > limit {
		return nil, pvczar.Errorf(pvczar.EINVALID, "%s:1: the file has more than %d bytes", name, limit)
	}
	return data, nil
}
