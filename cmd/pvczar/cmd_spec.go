package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/spec"
)

func init() {
	register(&command{
		name: "spec check", args: "FILE", summary: "check a pvspec file: layouts (every byte covered once, aligned, inside its struct), names and references, enums", read: true, nargs: [2]int{1, 1},
		run: runSpecCheck,
	})
}

// checkFindings reports that a check found problems (exit code 6).
type checkFindings struct{ n int }

func (e checkFindings) Error() string { return fmt.Sprintf("%d problem(s) found", e.n) }

func runSpecCheck(ctx context.Context, c *cli, args []string) error {
	f, err := os.Open(args[0])
	if err != nil {
		return pvczar.Errorf(pvczar.EINVALID, "%v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, spec.MaxFileSize+1))
	if err != nil {
		return pvczar.Errorf(pvczar.EINVALID, "%s: %v", args[0], err)
	}
	s, err := spec.Decode(args[0], data)
	if err != nil {
		return pvczar.Errorf(pvczar.EINVALID, "%v", err)
	}
	findings := spec.Check(s)
	if c.json {
		if findings == nil {
			findings = []spec.Finding{}
		}
		if err := printJSON(c.stdout, map[string]any{"file": args[0], "findings": findings}); err != nil {
			return err
		}
	} else {
		for _, fd := range findings {
			fmt.Fprintln(c.stdout, fd)
		}
		if len(findings) == 0 {
			fmt.Fprintf(c.stdout, "%s: clean\n", args[0])
		}
	}
	if len(findings) > 0 {
		return checkFindings{len(findings)}
	}
	return nil
}
