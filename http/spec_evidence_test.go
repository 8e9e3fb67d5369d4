package http_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar"
)

// evidenceBody is the JSON of an evidence command.
func evidenceBody(fields map[string]any) string {
	b, _ := json.Marshal(fields)
	return string(b)
}

// TestSpecEvidenceRoute: the server checks a spec itself. A spec larger
// than other bodies may be (64 KiB) is recorded on a production protocol
// as its baseline; a renumbered enum then shows as a breaking change the
// server found, and the protocol page says so. A body over the evidence
// route's limit is refused (413) and stores nothing.
func TestSpecEvidenceRoute(t *testing.T) {
	env := newTestEnv(t)
	matrixMust(t, env, "POST", "/api/v1/protocols", "czar", `{"protocol":"prodif","title":"In production","stage":"production","since":"2020-01-01T00:00:00Z"}`, 201)
	toy, err := os.ReadFile("../pvspec/testdata/toy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base := string(toy) + strings.Repeat("# padding to make a big spec\n", 4000) // 116 KB
	matrixMust(t, env, "POST", "/api/v1/protocols/prodif/evidence", "czar", evidenceBody(map[string]any{"evidence": "spec", "path": "specs/toy.yaml", "commit": "feedc0de", "spec_text": base}), 201)
	renumbered := strings.Replace(base, "{name: write, value: 1}", "{name: write, value: 2}", 1)
	status, resp := env.request("POST", "/api/v1/protocols/prodif/evidence", "czar", evidenceBody(map[string]any{"evidence": "spec", "path": "specs/toy.yaml", "commit": "c0ffee00", "spec_text": renumbered}))
	var e pvczar.Event
	if json.Unmarshal([]byte(resp), &e); status != 201 || len(e.Data.Breaking) == 0 || !strings.Contains(strings.Join(e.Data.Breaking, "\n"), "write") {
		t.Fatalf("a renumbered enum against the production spec: %d, breaking %q: %.300s", status, e.Data.Breaking, resp)
	}
	status, page := env.request("GET", "/protocols/prodif", "", "")
	if status != 200 || !contains(page, "<code>specs/toy.yaml</code> at c0ffee0") || !contains(page, "breaking</span> against production") {
		t.Errorf("the protocol page: %d\n%s", status, page)
	}
	huge := evidenceBody(map[string]any{"evidence": "spec", "path": "specs/toy.yaml", "spec_text": strings.Repeat("x", 2<<20+100<<10)})
	if status, resp := env.request("POST", "/api/v1/protocols/prodif/evidence", "czar", huge); status != 413 {
		t.Errorf("a 2.1 MiB spec: %d %s", status, resp)
	}
	_, show := env.request("GET", "/api/v1/protocols/prodif", "", "")
	var p struct {
		Spec struct {
			Version  int
			Breaking []string
			Digest   string
		}
	}
	if err := json.Unmarshal([]byte(show), &p); err != nil || p.Spec.Version != 1 || len(p.Spec.Breaking) != len(e.Data.Breaking) || p.Spec.Digest != pvczar.SpecDigest(renumbered) {
		t.Errorf("the stored spec: version %d, %d breaking, digest %s (%v)", p.Spec.Version, len(p.Spec.Breaking), p.Spec.Digest, err)
	}
	if len(show) > 10<<10 {
		t.Errorf("the protocol's JSON carries the spec's text: %d bytes", len(show))
	}
}

// TestEvidenceResultsAreTheServers: a client cannot bring the result of a
// check. A doc-check with "passed" and no document, a spec with its own
// "breaking" or version, a spec that is not YAML or fails spec check are
// refused, naming the field, and write nothing; a document is checked by
// the server, which records whether it passed and why.
func TestEvidenceResultsAreTheServers(t *testing.T) {
	env := newTestEnv(t)
	toy, _ := os.ReadFile("../pvspec/testdata/toy.yaml")
	doc, _ := os.ReadFile("../designdoc/testdata/toyif.md")
	before := len(matrixEvents(t, env))
	for _, c := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"passed without a document", map[string]any{"evidence": "doc-check", "passed": true}, "field passed is refused"},
		{"passed with a document", map[string]any{"evidence": "doc-check", "passed": true, "doc_text": string(doc)}, "field passed is refused"},
		{"a summary of its own", map[string]any{"evidence": "doc-check", "text": "all good", "doc_text": string(doc)}, "field text is refused"},
		{"no document", map[string]any{"evidence": "doc-check", "commit": "c1"}, "doc_text"},
		{"breaking of its own", map[string]any{"evidence": "spec", "path": "s.yaml", "spec_text": string(toy), "breaking": []string{}}, "field breaking is refused"},
		{"a version of its own", map[string]any{"evidence": "spec", "path": "s.yaml", "spec_text": string(toy), "spec_version": 9}, "field spec_version is refused"},
		{"a spec that is not YAML", map[string]any{"evidence": "spec", "path": "s.yaml", "spec_text": "{{{ not: yaml"}, "spec_text"},
		{"a spec that fails spec check", map[string]any{"evidence": "spec", "path": "s.yaml", "spec_text": strings.Replace(string(toy), "{name: write, value: 1}", "{name: write, value: 0}", 1)}, "does not pass spec check"},
		{"a doc-check against a broken spec", map[string]any{"evidence": "doc-check", "doc_text": string(doc), "spec_text": "pvspec: ["}, "spec_text"},
		{"a text on other evidence", map[string]any{"evidence": "version", "version": "2", "doc_text": "x"}, "takes no document"},
	} {
		status, resp := env.request("POST", "/api/v1/protocols/testif/evidence", "author", evidenceBody(c.body))
		if status != 400 || !strings.Contains(resp, c.want) {
			t.Errorf("%s: %d, want 400 with %q: %.300s", c.name, status, c.want, resp)
		}
	}
	// A reader is refused for their role before the server checks anything.
	if status, resp := env.request("POST", "/api/v1/protocols/testif/evidence", "reader", evidenceBody(map[string]any{"evidence": "spec", "path": "s.yaml", "spec_text": "{{{"})); status != 403 {
		t.Errorf("a reader's spec: %d, want 403: %.300s", status, resp)
	}
	if after := len(matrixEvents(t, env)); after != before {
		t.Fatalf("refused evidence wrote %d event(s)", after-before)
	}
	for _, c := range []struct {
		name, doc string
		passed    bool
		summary   string
	}{
		{"the toy document", string(doc), true, "0 error(s)"},
		{"a thin document", "# Thin\n\nIt has a ring.\n", false, "topic-byte-order ×1"},
	} {
		status, resp := env.request("POST", "/api/v1/protocols/testif/evidence", "author", evidenceBody(map[string]any{"evidence": "doc-check", "path": "testif.md", "doc_text": c.doc}))
		var e pvczar.Event
		json.Unmarshal([]byte(resp), &e)
		if status != 201 || e.Data.Passed == nil || *e.Data.Passed != c.passed || !strings.Contains(e.Data.Text, c.summary) {
			t.Errorf("%s: %d: %.300s", c.name, status, resp)
		}
	}
}
