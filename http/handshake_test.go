package http_test

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar"
)

// TestHandshakeGateRefusesABrokenRevision: the server verifies a spec's
// handshake itself when the spec is recorded, with the production spec as
// the old version. A revision whose new frontend waits for a key that an
// old backend never writes fails the handshake gate, so that the revision
// cannot be proposed; the protocol page shows the shortest trace as a
// sequence diagram. A sound revision passes.
func TestHandshakeGateRefusesABrokenRevision(t *testing.T) {
	env := newTestEnv(t)
	matrixMust(t, env, "POST", "/api/v1/protocols", "czar", `{"protocol":"toyif","title":"Toy","stage":"production","since":"2020-01-01T00:00:00Z"}`, http.StatusCreated)
	toy, err := os.ReadFile("../pvspec/handshake/testdata/toy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	record := func(text string) pvczar.Event {
		t.Helper()
		status, resp := env.request("POST", "/api/v1/protocols/toyif/evidence", "czar", evidenceBody(map[string]any{"evidence": "spec", "path": "specs/toy.yaml", "spec_text": text}))
		var e pvczar.Event
		if err := json.Unmarshal([]byte(resp), &e); err != nil || status != http.StatusCreated || e.Data.Handshake == nil {
			t.Fatalf("recording a spec: %d %v %.500s", status, err, resp)
		}
		return e
	}
	if h := record(string(toy)).Data.Handshake; h.Steps != 8 || len(h.Failures) != 0 || h.States == 0 {
		t.Fatalf("the production spec's handshake: %+v", h)
	}
	// A client cannot bring the verdict.
	if status, resp := env.request("POST", "/api/v1/protocols/toyif/evidence", "czar", evidenceBody(map[string]any{"evidence": "spec", "path": "specs/toy.yaml", "spec_text": string(toy), "handshake": map[string]any{"steps": 8}})); status != http.StatusBadRequest || !contains(resp, "handshake") {
		t.Errorf("a client's handshake verdict: %d %s", status, resp)
	}

	v2 := strings.Replace(string(toy), "version: 1\n", "version: 2\n", 1)
	v2 = strings.Replace(v2, "offered: [1]", "offered: [1, 2]", 1)
	broken := strings.Replace(v2, "xenstore:\n", "xenstore:\n  - {name: max-queues, side: backend, type: uint, required: true, ready_by: InitWait, readers: [frontend]}\n", 1)
	broken = strings.Replace(broken, "writes: [versions, feature-fast]", "writes: [versions, feature-fast, max-queues]", 1)
	broken = strings.Replace(broken, "reads: [versions, feature-fast]", "reads: [versions, feature-fast, max-queues]", 1)
	h := record(broken).Data.Handshake
	if len(h.Failures) == 0 || !strings.Contains(strings.Join(h.Failures, "\n"), "max-queues") {
		t.Fatalf("a revision an old backend cannot serve: %+v", h)
	}
	for _, gate := range []string{"spec-compat", "known-issues"} { // only the handshake is left to fail
		env.request("POST", "/api/v1/protocols/toyif/waivers", "czar", `{"gate":"`+gate+`","to":"production","reason":"this test is about the handshake"}`)
	}
	status, resp := env.request("POST", "/api/v1/protocols/toyif/proposals", "czar", `{"to":"production"}`)
	if status != http.StatusConflict || !contains(resp, "handshake (pvczar spec verify finds") || !contains(resp, "max-queues") {
		t.Fatalf("proposing the broken revision: %d %s", status, resp)
	}
	_, page := env.request("GET", "/protocols/toyif", "", "")
	if !contains(page, `<img src="/protocols/toyif/handshake.svg"`) || !contains(page, "<b>handshake</b>") {
		t.Errorf("the protocol page does not show the handshake's trace:\n%s", page)
	}
	status, svg := env.request("GET", "/protocols/toyif/handshake.svg", "", "")
	if status != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(svg), "<svg") || !contains(svg, "max-queues") {
		t.Errorf("the trace's diagram: %d %.500s", status, svg)
	}

	// A sound revision: the new key is the new frontend's, optional.
	sound := strings.Replace(v2, "xenstore:\n", "xenstore:\n  - {name: queues, side: frontend, type: uint, default: \"1\", since: 2, ready_by: Initialised, readers: [backend]}\n", 1)
	sound = strings.Replace(sound, "writes: [version, ring-ref]", "writes: [version, ring-ref, queues]", 1)
	if h := record(sound).Data.Handshake; len(h.Failures) != 0 {
		t.Fatalf("a sound revision: %+v", h)
	}
	if status, resp := env.request("POST", "/api/v1/protocols/toyif/proposals", "czar", `{"to":"production"}`); status != http.StatusCreated {
		t.Errorf("proposing the sound revision: %d %s", status, resp)
	}
	// The toy's frontend cannot start over while its backend stays
	// Connected: shown, not blocking.
	if _, page := env.request("GET", "/protocols/toyif", "", ""); !contains(page, "finds it sound, but not after a reconnection fault") {
		t.Errorf("the page of a sound handshake does not say what fails after a fault")
	}
	if status, svg := env.request("GET", "/protocols/toyif/handshake.svg", "", ""); status != http.StatusOK || !contains(svg, "<svg") {
		t.Errorf("the diagram of the failure after a fault: %d", status)
	}
}
