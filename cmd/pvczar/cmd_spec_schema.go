package main

import (
	"context"

	"github.com/xen-pvczar/pvczar/pvspec"
)

func init() {
	register(&command{
		name: "spec schema", fileOnly: true, summary: "print the JSON Schema (draft 2020-12) of the pvspec format, for editors and other tools; `spec check` stays the authority", read: true, nargs: [2]int{0, 0},
		run: runSpecSchema,
	})
}

// runSpecSchema prints the schema as published: it is JSON already, so
// --json changes nothing.
func runSpecSchema(ctx context.Context, c *cli, args []string) error {
	_, err := c.stdout.Write(pvspec.Schema)
	return err
}
