package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImplConformance: pvczar impl --conforms records which version of the
// protocol's recorded spec an implementation conforms to, with which of its
// features; --conformance-result records the result of a conformance run.
// A bad file is refused with its field named and nothing is recorded;
// protocol show prints the matrix, and its --json carries it.
func TestImplConformance(t *testing.T) {
	dir := t.TempDir()
	do, must := runnersAt(t, dir+"/t.db", "2026-03-02T09:00:00Z")
	refused := func(want string, args ...string) {
		t.Helper()
		if code, _, stderr := do(args...); code != exitUsage || !strings.Contains(stderr, want) {
			t.Errorf("pvczar %s: exit %d, %s\nwant exit %d naming %q", strings.Join(args, " "), code, stderr, exitUsage, want)
		}
	}
	file := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	must("init", "--czar", "george")
	must("user", "add", "alice", "--role", "contributor", "--as", "george")
	must("protocol", "add", "toyif", "--title", "Toy", "--owners", "alice", "--stage", "prototype", "--since", "2026-01-01", "--as", "george")
	front := []string{"impl", "toyif", "--side", "frontend", "--codebase", "linux", "--upstream", "f00", "--as", "alice"}
	back := []string{"impl", "toyif", "--side", "backend", "--codebase", "qemu", "--upstream", "b00", "--as", "alice"}

	refused("spec_version: toyif has no spec recorded", append(front, "--conforms", "1")...)
	must("evidence", "toyif", "spec", "--file", writeToy(t, dir, "toy.yaml"), "--as", "alice")
	refused("--conforms \"one\"", append(front, "--conforms", "one")...)
	refused("--features names the features of a spec version", append(front, "--features", "persistent")...)
	refused("spec_version: toyif has no recorded spec of version 2 (recorded: 1)", append(front, "--conforms", "v2")...)
	refused(`features: "flush" is not a feature of toyif's spec version 1, which declares persistent`, append(front, "--conforms", "1", "--features", "persistent,flush")...)
	must(append(front, "--conforms", "v1", "--features", "persistent")...)
	must(back...)

	result := func(repl ...string) string {
		text := `{"protocol": "toyif", "implementation": "qemu-backend", "spec_version": 1, "features": [],
  "passed": ["connect", "reconnect"], "tool": "pvtest", "tool_version": "0.3.1", "date": "2026-03-01T12:00:00Z"}`
		for i := 0; i+1 < len(repl); i += 2 {
			text = strings.Replace(text, repl[i], repl[i+1], 1)
		}
		return file("result.json", text)
	}
	for _, c := range []struct {
		repl []string
		want string
	}{
		{[]string{`"tool"`, `"toolname"`}, `result.json: conformance result: unknown field "toolname"`},
		{[]string{`"spec_version": 1`, `"spec_version": "1"`}, "conformance result: field spec_version: want int"},
		{[]string{`"date": "2026-03-01T12:00:00Z"`, `"date": "2026-03-01"`}, "conformance result: field date"},
		{[]string{`"date": "2026-03-01T12:00:00Z"`, `"date": "2026-03-05T12:00:00Z"`}, "conformance result: field date: 2026-03-05T12:00:00Z is later than now"},
		{[]string{`"passed"`, `"failed": ["reconnect"], "passed"`}, "conformance result: field failed: 1 test(s) failed (reconnect)"},
		{[]string{`"qemu-backend"`, `"linux-backend"`}, "conformance result: field implementation: the run is of linux-backend, not qemu-backend"},
		{[]string{`"features": []`, `"features": ["discard"]`}, `features: "discard" is not a feature`},
	} {
		refused(c.want, append(back, "--conformance-result", result(c.repl...))...)
	}
	refused("spec_version: 2, but the conformance result's spec_version is 1", append(back, "--conforms", "2", "--conformance-result", result())...)
	refused("conformance result: want a JSON object", append(back, "--conformance-result", file("array.json", "[]"))...)
	refused("no such file", append(back, "--conformance-result", filepath.Join(dir, "none.json"))...)

	var before struct{ Implementations []struct{ Conformance []any } }
	if err := json.Unmarshal([]byte(must("protocol", "show", "toyif", "--json")), &before); err != nil || len(before.Implementations) != 2 || len(before.Implementations[1].Conformance) != 0 {
		t.Fatalf("a refused result was recorded: %+v, %v", before, err)
	}

	must(append(back, "--conformance-result", result())...)
	show := must("protocol", "show", "toyif")
	for _, want := range []string{
		"  conformance (implementations × spec versions × features):\n    v1 (the latest spec) features: persistent\n",
		"    linux-frontend     v1 with persistent\n",
		"    qemu-backend       v1 (run of pvtest 0.3.1 on 2026-03-01T12:00:00Z: 2 test(s) passed)\n",
		"implementations  linux-frontend, qemu-backend; conformance to the spec (v1), which does not decide this gate: linux-frontend conforms to v1 with persistent; qemu-backend conforms to v1 with no feature\n",
	} {
		if !strings.Contains(show, want) {
			t.Errorf("protocol show lacks %q:\n%s", want, show)
		}
	}
	var p struct {
		Spec   struct{ Features []string }
		Matrix struct {
			Versions []struct {
				Version  int
				Features []string
			}
			Implementations []struct {
				Implementation string
				Versions       []struct {
					Conforms *struct {
						Features []string
						Run      *struct{ Tool, Date string }
					}
				}
			}
		} `json:"conformance_matrix"`
	}
	if err := json.Unmarshal([]byte(must("protocol", "show", "toyif", "--json")), &p); err != nil {
		t.Fatal(err)
	}
	m := p.Matrix
	if strings.Join(p.Spec.Features, ",") != "persistent" || len(m.Versions) != 1 || m.Versions[0].Version != 1 || len(m.Implementations) != 2 ||
		m.Implementations[0].Versions[0].Conforms == nil || strings.Join(m.Implementations[0].Versions[0].Conforms.Features, ",") != "persistent" ||
		m.Implementations[1].Versions[0].Conforms == nil || m.Implementations[1].Versions[0].Conforms.Run == nil || m.Implementations[1].Versions[0].Conforms.Run.Tool != "pvtest" {
		t.Errorf("protocol show --json: %+v", p)
	}
}
