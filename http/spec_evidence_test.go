package http_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar"
)

// TestSpecEvidenceRoute: a spec larger than other bodies may be (64 KiB)
// is recorded through the API with its breaking changes, and the
// protocol page shows it; a body over the evidence route's 1 MiB and a
// little is refused (413) and stores nothing.
func TestSpecEvidenceRoute(t *testing.T) {
	env := newTestEnv(t)
	text := "pvspec: 1\n" + strings.Repeat("# padding to make a big spec\n", 4000) // 116 KB
	body, _ := json.Marshal(map[string]any{"evidence": "spec", "path": "specs/testif.yaml", "commit": "feedc0de", "spec_text": text, "spec_version": 2,
		"breaking": []string{"enum-renumber enums.op.write: write changed from 1 to 2", "xs-removed xenstore.backend.ring-order: removed"}})
	if status, resp := env.request("POST", "/api/v1/protocols/testif/evidence", "author", string(body)); status != 201 {
		t.Fatalf("recording a 116 KB spec: %d %s", status, resp)
	}
	status, page := env.request("GET", "/protocols/testif", "", "")
	if status != 200 || !contains(page, "<code>specs/testif.yaml</code> at feedc0d") || !contains(page, "2 breaking</span> against production") {
		t.Errorf("the protocol page: %d\n%s", status, page)
	}
	huge, _ := json.Marshal(map[string]any{"evidence": "spec", "path": "specs/testif.yaml", "spec_text": strings.Repeat("x", 1<<20+100<<10), "spec_version": 3})
	if status, resp := env.request("POST", "/api/v1/protocols/testif/evidence", "author", string(huge)); status != 413 {
		t.Errorf("a 1.1 MiB spec: %d %s", status, resp)
	}
	_, show := env.request("GET", "/api/v1/protocols/testif", "", "")
	var p struct {
		Spec struct {
			Version  int
			Breaking []string
			Digest   string
		}
	}
	if err := json.Unmarshal([]byte(show), &p); err != nil || p.Spec.Version != 2 || len(p.Spec.Breaking) != 2 || p.Spec.Digest != pvczar.SpecDigest(text) {
		t.Errorf("the stored spec: version %d, %d breaking, digest %s (%v)", p.Spec.Version, len(p.Spec.Breaking), p.Spec.Digest, err)
	}
	if len(show) > 10<<10 {
		t.Errorf("the protocol's JSON carries the spec's text: %d bytes", len(show))
	}
}
