package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/pvspec"
)

// TestSpecSchema: `pvczar spec schema` prints the embedded schema, which is
// a draft 2020-12 JSON Schema, with or without --json; it takes no
// arguments, and --help works.
func TestSpecSchema(t *testing.T) {
	for _, args := range [][]string{{"spec", "schema"}, {"spec", "schema", "--json"}} {
		out := mustRun(t, args...)
		if out != string(pvspec.Schema) {
			t.Fatalf("pvczar %s does not print pvspec.Schema", strings.Join(args, " "))
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("pvczar %s: not JSON: %v", strings.Join(args, " "), err)
		}
		if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" || !strings.Contains(doc["description"].(string), "pvczar spec check") {
			t.Fatalf("pvczar %s: $schema %v, description %q", strings.Join(args, " "), doc["$schema"], doc["description"])
		}
	}
	if !bytes.HasSuffix(pvspec.Schema, []byte("\n")) {
		t.Error("the schema does not end with a newline")
	}
	if code, _, stderr := run(t, "spec", "schema", "extra"); code != exitUsage || !strings.Contains(stderr, "wrong number of arguments") {
		t.Errorf("pvczar spec schema extra: exit %d: %s", code, stderr)
	}
	code, out, _ := run(t, "spec", "schema", "--help")
	if code != exitOK || !strings.Contains(out, "Usage: pvczar spec schema") || !strings.Contains(out, "JSON Schema") {
		t.Errorf("pvczar spec schema --help: exit %d\n%s", code, out)
	}
	if _, out, _ := run(t, "help"); !strings.Contains(out, "spec schema") {
		t.Errorf("pvczar help does not list spec schema:\n%s", out)
	}
}
