package http_test

import (
	"encoding/json"
	"html"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestConformanceMatrix: the API records an implementation's conformance
// to a version of the protocol's spec, and refuses a bad conformance run,
// naming its field, storing nothing; the implementation form takes a
// version and features, or a run's result as an uploaded file; the
// protocol's page shows the matrix of implementations × spec versions ×
// features beside the implementations.
func TestConformanceMatrix(t *testing.T) {
	env := newTestEnv(t)
	toy, err := os.ReadFile("../pvspec/testdata/toy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if status, resp := env.request("POST", "/api/v1/protocols/testif/evidence", "author", evidenceBody(map[string]any{"evidence": "spec", "path": "specs/toy.yaml", "spec_text": string(toy), "spec_features": []string{"made-up"}})); status != 400 || !contains(resp, "field spec_features is refused") {
		t.Errorf("a spec with features of the client's: %d %s", status, resp)
	}
	matrixMust(t, env, "POST", "/api/v1/protocols/testif/evidence", "author", evidenceBody(map[string]any{"evidence": "spec", "path": "specs/toy.yaml", "spec_text": string(toy)}), 201)

	impl := func(conformance any) string {
		b, _ := json.Marshal(map[string]any{"implementation": map[string]any{"side": "frontend", "codebase": "linux", "upstream_commit": "f00", "conformance": conformance}})
		return string(b)
	}
	run := map[string]any{"protocol": "testif", "implementation": "linux-frontend", "spec_version": 1, "features": []string{"persistent"},
		"passed": []string{"connect"}, "tool": "pvtest", "tool_version": "0.3.1", "date": "2026-03-01T12:00:00Z"}
	before := len(matrixEvents(t, env))
	for _, c := range []struct {
		conformance any
		want        string
	}{
		{[]any{map[string]any{"spec_version": 2}}, "spec_version: testif has no recorded spec of version 2 (recorded: 1)"},
		{[]any{map[string]any{"spec_version": 1, "features": []string{"flush"}}}, `features: \"flush\" is not a feature of testif's spec version 1, which declares persistent`},
		{[]any{map[string]any{"run": withField(run, "tool", "")}}, "conformance result: field tool: empty"},
		{[]any{map[string]any{"run": withField(run, "failed", []string{"connect"})}}, "conformance result: field failed"},
		{[]any{map[string]any{"run": withField(run, "toolname", "x")}}, `unknown field \"toolname\"`},
		{[]any{map[string]any{"run": withField(run, "spec_version", "1")}}, "field implementation.conformance.run.spec_version"},
	} {
		if status, resp := env.request("PUT", "/api/v1/protocols/testif/implementations", "author", impl(c.conformance)); status != 400 || !contains(resp, c.want) {
			t.Errorf("%v: %d %s\nwant 400 naming %q", c.conformance, status, resp, c.want)
		}
	}
	if after := len(matrixEvents(t, env)); after != before {
		t.Fatalf("refused conformance recorded %d event(s)", after-before)
	}
	matrixMust(t, env, "PUT", "/api/v1/protocols/testif/implementations", "author", impl([]any{map[string]any{"run": run}}), 201)

	// The form: a version with features, or an uploaded result.
	c, csrf := signIn(t, env, "author")
	page := get(t, c, env.URL+"/protocols/testif")
	for _, want := range []string{`id="implementation-form" enctype="multipart/form-data"`, `name="conforms"`, `name="features"`, `name="conformance_file"`} {
		if !contains(page, want) {
			t.Errorf("the implementation form lacks %s", want)
		}
	}
	post := func(fields map[string]string, result string) (int, string) {
		t.Helper()
		fields["csrf"], fields["form"] = csrf, "implementation"
		var file []byte
		if result != "" {
			file = []byte(result)
		}
		status, body := postUpload(t, env, c, "/ui/protocols/testif/implementations", "/protocols/testif", fields, "conformance_file", "result.json", file)
		return status, html.UnescapeString(body)
	}
	backend := map[string]string{"code_base": "qemu", "side": "backend", "upstream_commit": "b00"}
	if status, body := post(map[string]string{"code_base": "qemu", "side": "backend", "features": "persistent"}, ""); status != http.StatusUnprocessableEntity || !contains(body, "Refused: features: name the spec version") {
		t.Errorf("features without a version: %d %.3000s", status, body)
	}
	if status, body := post(backend, `{"protocol": "testif"}`); status != http.StatusUnprocessableEntity || !contains(body, "Refused: conformance result: field implementation: empty") {
		t.Errorf("a bad result: %d %.3000s", status, body)
	}
	if status, body := post(map[string]string{"code_base": "qemu", "side": "backend", "conforms": "v1", "features": "persistent", "upstream_commit": "b00"}, ""); status != http.StatusSeeOther {
		t.Fatalf("a conformance by the form: %d %.3000s", status, body)
	}
	if after := len(matrixEvents(t, env)); after != before+2 {
		t.Errorf("%d event(s) recorded, want the API's and the form's", after-before)
	}

	page = html.UnescapeString(get(t, c, env.URL+"/protocols/testif"))
	for _, want := range []string{
		`<h3 id="conformance">Conformance</h3>`,
		`<th colspan="2" scope="colgroup">v1 (latest spec)</th>`,
		`<tr><th scope="col">conforms</th><th scope="col">persistent</th></tr>`,
		`<tr><th scope="row">linux-frontend</th><td><span title="1 test(s) passed">run of pvtest 0.3.1, 2026-03-01T12:00:00Z</span></td><td>✓</td></tr>`,
		`<tr><th scope="row">qemu-backend</th><td>recorded</td><td>✓</td></tr>`,
	} {
		if !contains(page, want) {
			t.Errorf("the protocol page lacks %s", want)
		}
	}
	if i, j := strings.Index(page, "<h2>Implementations</h2>"), strings.Index(page, `id="conformance"`); i < 0 || j < i || strings.Contains(page[i+1:j], "<h2>") {
		t.Error("the matrix is not beside the implementations table")
	}
}

// withField returns a copy of m with field set to v.
func withField(m map[string]any, field string, v any) map[string]any {
	c := map[string]any{field: v}
	for k, x := range m {
		if k != field {
			c[k] = x
		}
	}
	return c
}
