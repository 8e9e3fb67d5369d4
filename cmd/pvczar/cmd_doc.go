package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/designdoc"
	"github.com/xen-pvczar/pvczar/pvspec"
)

func init() {
	register(&command{
		name: "doc check", args: "FILE.md|FILE.pandoc|FILE.h",
		summary: "check a design document (or a C header's comments): required topics, C-only structs, octet diagrams and offset tables, numbers, xenstore keys; with --spec, agreement with a pvspec",
		read:    true, nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.specFile, "spec", "", "a pvspec file (YAML) the document must agree with")
			fs.StringVar(&o.stage, "stage", designdoc.StagePrototype, "the stage the document is checked for: design (topics are warnings), prototype or production (adds the compatibility promises)")
		},
		run: runDocCheck,
	})
}

// checkDoc runs the design-document check on file for stage, against
// the spec in specFile when one is named.
func checkDoc(file, specFile, stage string) ([]designdoc.Finding, error) {
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
		opts.Spec = specFacts(s)
	}
	return designdoc.Check(d, opts), nil
}

func runDocCheck(ctx context.Context, c *cli, args []string) error {
	findings, err := checkDoc(args[0], c.opts.specFile, c.opts.stage)
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

// specFacts gives the document checker what it compares from a spec:
// keys, structs (and, for a struct with unions, one flattened struct per
// variant, as "struct/variant"), enum values, byte order and page size.
func specFacts(s *pvspec.Spec) *designdoc.SpecFacts {
	f := &designdoc.SpecFacts{
		File:       s.File,
		Structs:    map[string]designdoc.StructFacts{},
		EnumValues: map[string]int64{},
		ByteOrder:  s.Conventions.ByteOrder,
		PageSize:   s.Conventions.PageSize,
	}
	seen := map[string]bool{}
	for _, k := range s.Xenstore {
		if !seen[k.Name] {
			seen[k.Name] = true
			f.Keys = append(f.Keys, k.Name)
		}
	}
	for _, e := range s.Enums {
		for _, v := range e.Values {
			f.EnumValues[e.Name+"."+v.Name] = v.Value
		}
	}
	structs := map[string]*pvspec.Struct{}
	for _, st := range s.Structs {
		structs[st.Name] = st
	}
	for _, st := range s.Structs {
		base := designdoc.StructFacts{Size: st.Size, Fields: map[string]designdoc.FieldFacts{}}
		var unions []*pvspec.Field
		for _, fd := range st.Fields {
			if fd.At == nil {
				continue
			}
			base.Fields[fd.Name] = designdoc.FieldFacts{At: *fd.At, Size: s.FieldSize(fd)}
			if len(fd.Variants) > 0 {
				unions = append(unions, fd)
			}
		}
		f.Structs[st.Name] = base
		for _, u := range unions {
			for _, v := range u.Variants {
				body, ok := structs[v.Type]
				if !ok {
					continue
				}
				flat := designdoc.StructFacts{Size: st.Size, Fields: map[string]designdoc.FieldFacts{}}
				for k, x := range base.Fields {
					flat.Fields[k] = x
				}
				for _, bf := range body.Fields {
					if bf.At != nil {
						flat.Fields[bf.Name] = designdoc.FieldFacts{At: *u.At + *bf.At, Size: s.FieldSize(bf)}
					}
				}
				f.Structs[st.Name+"/"+strings.TrimSpace(v.Name)] = flat
			}
		}
	}
	return f
}
