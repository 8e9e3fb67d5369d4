package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSpecVerify: a failing property exits 6 with its trace, in text and
// JSON; a handshake spec check refuses is invalid input (2); with --old,
// a new frontend that reads a key an old backend never writes is found.
func TestSpecVerify(t *testing.T) {
	dir := t.TempDir()
	toy := writeToy(t, dir, "toy.yaml")
	code, out, stderr := run(t, "spec", "verify", toy)
	if code != exitAudit || !strings.Contains(out, "deadlock after a frontend-resume") || !strings.Contains(out, "5. fault frontend-resume") || !strings.Contains(out, "states") {
		t.Errorf("exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, _ = run(t, "spec", "verify", "--json", toy)
	var res struct {
		States   int `json:"states"`
		Failures []struct {
			Property string `json:"property"`
			Fault    string `json:"fault"`
			Trace    struct {
				Steps []struct {
					Side string `json:"side"`
				} `json:"steps"`
			} `json:"trace"`
		} `json:"failures"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitAudit || res.States == 0 || len(res.Failures) != 1 || res.Failures[0].Fault != "frontend-resume" || len(res.Failures[0].Trace.Steps) != 6 {
		t.Errorf("exit %d, %v: %s", code, err, out)
	}
	bad := writeToy(t, dir, "bad.yaml", "from: InitWait, to: Connected", "from: Sleeping, to: Connected")
	if code, _, stderr := run(t, "spec", "verify", bad); code != exitUsage || !strings.Contains(stderr, "spec check") || !strings.Contains(stderr, `"Sleeping" is not a XenbusState`) {
		t.Errorf("bad handshake: exit %d: %s", code, stderr)
	}
	v2 := writeToy(t, dir, "v2.yaml",
		"xenstore:\n", "xenstore:\n  - {name: max-queues, side: backend, type: uint, required: true, ready_by: InitWait, readers: [frontend]}\n",
		"writes: [versions, feature-persistent]", "writes: [versions, feature-persistent, max-queues]",
		"reads: [versions]", "reads: [versions, max-queues]")
	code, out, _ = run(t, "spec", "verify", v2, "--old", toy)
	if code != exitAudit || !strings.Contains(out, `read: the frontend reads "max-queues" before the backend wrote it`) || !strings.Contains(out, "new frontend, old backend") || !strings.Contains(out, "with "+toy) {
		t.Errorf("--old: exit %d\n%s", code, out)
	}
}
