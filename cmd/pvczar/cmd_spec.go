package main

import (
	"context"
	"fmt"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/pvspec"
)

func init() {
	register(&command{
		name: "spec check", fileOnly: true, args: "FILE", summary: "check a pvspec file: layouts (every byte covered once, aligned, inside its struct), names and references, enums", read: true, nargs: [2]int{1, 1},
		run: runSpecCheck,
	})
}

// checkFindings reports that a check found problems (exit code 6).
type checkFindings struct{ n int }

func (e checkFindings) Error() string { return fmt.Sprintf("%d problem(s) found", e.n) }

// readSpec reads and decodes a spec file; what is not a spec is invalid
// input (exit 2).
func readSpec(name string) (*pvspec.Spec, error) {
	data, err := readBounded(name, pvspec.MaxFileSize)
	if err != nil {
		return nil, err
	}
	return decodeSpec(name, data)
}

func decodeSpec(name string, data []byte) (*pvspec.Spec, error) {
	s, err := pvspec.Decode(name, data)
	if err != nil {
		return nil, pvczar.Errorf(pvczar.EINVALID, "%v", err)
	}
	return s, nil
}

func runSpecCheck(ctx context.Context, c *cli, args []string) error {
	s, err := readSpec(args[0])
	if err != nil {
		return err
	}
	findings := pvspec.Check(s)
	if c.json {
		if findings == nil {
			findings = []pvspec.Finding{}
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
