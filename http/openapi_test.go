package http_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar"
)

// The OpenAPI document served at /api/v1/openapi.json: its structure, and
// its agreement with the routes the server answers.

// openapiMethods are the methods a route may have, upper-case.
var openapiMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// openapiPlaceholders returns the names of the {placeholders} of a path.
func openapiPlaceholders(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, seg[1:len(seg)-1])
		}
	}
	return out
}

// openapiDoc fetches the document and returns it decoded, and raw.
func openapiDoc(t *testing.T, env *testEnv) (map[string]any, []byte) {
	t.Helper()
	resp, err := http.Get(env.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: %d %s", resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if !json.Valid(raw) {
		t.Fatalf("the document is not valid JSON: %.200s", raw)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc, raw
}

// openapiOp is one operation of the document.
type openapiOp struct {
	Method string // upper-case
	Path   string
	Op     map[string]any
}

func (o openapiOp) String() string { return o.Method + " " + o.Path }

// openapiOps lists the operations of the document, sorted.
func openapiOps(t *testing.T, doc map[string]any) []openapiOp {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		t.Fatalf("the document has no paths")
	}
	var ops []openapiOp
	for path, item := range paths {
		methods, ok := item.(map[string]any)
		if !ok {
			t.Errorf("path %s: not an object", path)
			continue
		}
		for m, op := range methods {
			if !slices.Contains(openapiMethods, strings.ToUpper(m)) {
				continue
			}
			o, ok := op.(map[string]any)
			if !ok {
				t.Errorf("%s %s: not an object", m, path)
				continue
			}
			ops = append(ops, openapiOp{Method: strings.ToUpper(m), Path: path, Op: o})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].String() < ops[j].String() })
	return ops
}

// openapiResolve follows a local $ref.
func openapiResolve(doc map[string]any, ref string) (any, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}
	var cur any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// openapiRefs calls f with every $ref in v.
func openapiRefs(v any, f func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "$ref" {
				f(s)
			}
			openapiRefs(x, f)
		}
	case []any:
		for _, x := range v {
			openapiRefs(x, f)
		}
	}
}

var openapiStatusKey = regexp.MustCompile(`^([1-5][0-9][0-9]|[1-5]XX|default)$`)

func TestOpenAPIDocument(t *testing.T) {
	env := newTestEnv(t)
	doc, _ := openapiDoc(t, env)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		t.Errorf("openapi is %q, want 3.0.x", doc["openapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if title, _ := info["title"].(string); title == "" {
		t.Errorf("info.title is missing")
	}
	if version, _ := info["version"].(string); version == "" {
		t.Errorf("info.version is missing (it must be a string)")
	}
	openapiRefs(doc, func(ref string) {
		if _, ok := openapiResolve(doc, ref); !ok {
			t.Errorf("$ref %q resolves to nothing", ref)
		}
	})
	components, _ := doc["components"].(map[string]any)
	schemes, _ := components["securitySchemes"].(map[string]any)

	for path, item := range doc["paths"].(map[string]any) {
		if !strings.HasPrefix(path, "/api/v1/") {
			t.Errorf("path %s is not under /api/v1/", path)
		}
		if strings.HasSuffix(path, "/") || strings.Contains(path, "//") {
			t.Errorf("path %s has an empty segment", path)
		}
		for key := range item.(map[string]any) {
			if !slices.Contains(openapiMethods, strings.ToUpper(key)) || key != strings.ToLower(key) {
				t.Errorf("path %s: unexpected key %q (want lower-case get, post, put, patch or delete)", path, key)
			}
		}
	}

	operationIDs := map[string]string{}
	ops := openapiOps(t, doc)
	for _, o := range ops {
		op := o.Op
		if s, _ := op["summary"].(string); strings.TrimSpace(s) == "" {
			t.Errorf("%s has no summary", o)
		}
		if id, ok := op["operationId"].(string); ok {
			if prev, dup := operationIDs[id]; dup {
				t.Errorf("%s and %s share the operationId %q", prev, o, id)
			}
			operationIDs[id] = o.String()
		}

		// Responses: at least one, each with a description, keyed by status.
		responses, _ := op["responses"].(map[string]any)
		if len(responses) == 0 {
			t.Errorf("%s has no responses", o)
		}
		hasSuccess := false
		for code, r := range responses {
			if !openapiStatusKey.MatchString(code) {
				t.Errorf("%s: response key %q is not a status", o, code)
			}
			hasSuccess = hasSuccess || strings.HasPrefix(code, "2")
			resp, _ := r.(map[string]any)
			if d, _ := resp["description"].(string); d == "" {
				t.Errorf("%s: response %s has no description", o, code)
			}
		}
		if !hasSuccess {
			t.Errorf("%s documents no success (2xx) response", o)
		}

		// Parameters: every {placeholder} declared as a required path
		// parameter, and nothing else in the path.
		declared := map[string]bool{}
		params, _ := op["parameters"].([]any)
		seen := map[string]bool{}
		for _, p := range params {
			pm, _ := p.(map[string]any)
			name, _ := pm["name"].(string)
			in, _ := pm["in"].(string)
			if name == "" || !slices.Contains([]string{"path", "query", "header", "cookie"}, in) {
				t.Errorf("%s: parameter %v needs a name and an in of path, query, header or cookie", o, pm)
				continue
			}
			if seen[in+":"+name] {
				t.Errorf("%s: parameter %s in %s declared twice", o, name, in)
			}
			seen[in+":"+name] = true
			if _, ok := pm["schema"].(map[string]any); !ok {
				t.Errorf("%s: parameter %s has no schema", o, name)
			}
			if in == "path" {
				declared[name] = true
				if pm["required"] != true {
					t.Errorf("%s: path parameter %s must be required", o, name)
				}
			}
		}
		placeholders := openapiPlaceholders(o.Path)
		for _, p := range placeholders {
			if !declared[p] {
				t.Errorf("%s: {%s} is not declared as a path parameter", o, p)
			}
		}
		for p := range declared {
			if !slices.Contains(placeholders, p) {
				t.Errorf("%s: path parameter %s is not in the path", o, p)
			}
		}

		// Security: every operation declares it (a public read as []), with
		// known schemes; every mutation needs one, and says what the refused
		// get; every operation has an operationId.
		security, hasSecurity := op["security"].([]any)
		if !hasSecurity {
			t.Errorf("%s declares no security (a public read says security: [])", o)
		}
		if id, _ := op["operationId"].(string); id == "" {
			t.Errorf("%s has no operationId", o)
		}
		for _, req := range security {
			for name := range req.(map[string]any) {
				if _, ok := schemes[name]; !ok {
					t.Errorf("%s: security scheme %q is not in components.securitySchemes", o, name)
				}
			}
		}
		if o.Method != "GET" {
			if !hasSecurity || len(security) == 0 {
				t.Errorf("%s changes state but declares no security", o)
			}
		}
		if len(security) > 0 {
			for _, code := range []string{"401", "403"} {
				if _, ok := responses[code]; !ok {
					t.Errorf("%s needs a token but documents no %s", o, code)
				}
			}
		}

		// Bodies: JSON objects that allow no other property.
		rb, hasBody := op["requestBody"].(map[string]any)
		if o.Method == "GET" || o.Method == "DELETE" {
			if hasBody {
				t.Errorf("%s documents a request body", o)
			}
			continue
		}
		if id, _ := op["operationId"].(string); strings.Contains(id, ".") && !hasBody { // a command: its event type
			t.Errorf("command %s documents no request body", o)
		}
		if !hasBody {
			continue
		}
		content, _ := rb["content"].(map[string]any)
		media, _ := content["application/json"].(map[string]any)
		schema, _ := media["schema"].(map[string]any)
		if schema == nil {
			t.Errorf("%s: requestBody has no application/json schema", o)
			continue
		}
		openapiCheckObjectSchema(t, o.String()+" body", schema)
	}
	if len(operationIDs) == 0 {
		t.Errorf("no operation has an operationId: the commands should carry their event type")
	}
}

// openapiCheckObjectSchema checks that schema is an object with properties
// and additionalProperties false, and that its properties have types.
func openapiCheckObjectSchema(t *testing.T, what string, schema map[string]any) {
	t.Helper()
	if schema["type"] != "object" {
		t.Errorf("%s: type %v, want object", what, schema["type"])
	}
	if schema["additionalProperties"] != false {
		t.Errorf("%s: additionalProperties %v, want false (the server refuses unknown fields)", what, schema["additionalProperties"])
	}
	props, ok := schema["properties"].(map[string]any)
	if !ok {
		t.Errorf("%s: no properties", what)
		return
	}
	for name, p := range props {
		openapiCheckSchema(t, what+"."+name, p)
	}
}

func openapiCheckSchema(t *testing.T, what string, v any) {
	t.Helper()
	s, _ := v.(map[string]any)
	switch s["type"] {
	case "string", "integer", "boolean", "number":
	case "array":
		openapiCheckSchema(t, what+"[]", s["items"])
	case "object":
		openapiCheckObjectSchema(t, what, s)
	default:
		t.Errorf("%s: schema %v has no known type", what, v)
	}
}

// openapiFill substitutes values for the placeholders of a path.
func openapiFill(path string, values map[string]string) string {
	for _, p := range openapiPlaceholders(path) {
		v, ok := values[p]
		if !ok {
			v = "sample-" + p
		}
		path = strings.ReplaceAll(path, "{"+p+"}", v)
	}
	return path
}

// openapiNoRoute tells whether an answer is the router's own "no route"
// answer rather than a handler's.
func openapiNoRoute(status int, body string) bool {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	json.Unmarshal([]byte(body), &e)
	return status == http.StatusNotFound && e.Error.Code == pvczar.ENOTFOUND && strings.HasPrefix(e.Error.Message, "nothing here") ||
		status == http.StatusMethodNotAllowed && e.Error.Code == "method_not_allowed"
}

func openapiDoRaw(t *testing.T, env *testEnv, method, path string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, env.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// openapiSamples are path values: names the env knows, and names it does
// not.
var openapiSamples = []struct {
	name   string
	values map[string]string
}{
	{"known", map[string]string{"protocol": "testif", "proposal": "testif-1", "objection": "ring-size", "issue": "1", "user": "reviewer", "id": "no-such-token"}},
	{"unknown", map[string]string{"protocol": "no-such-protocol", "proposal": "no-such-proposal-9", "objection": "no-such-objection", "issue": "99", "user": "no-such-user", "id": "no-such-token"}},
}

// Every documented operation is served: anonymous, with no body, it gets an
// answer of its handler (401, a handler's 404, 200...), never the router's
// 404 or 405.
func TestOpenAPIDocumentedRoutesExist(t *testing.T) {
	env := newTestEnv(t)
	doc, _ := openapiDoc(t, env)
	for _, o := range openapiOps(t, doc) {
		for _, s := range openapiSamples {
			path := openapiFill(o.Path, s.values)
			status, _, body := openapiDoRaw(t, env, o.Method, path)
			if openapiNoRoute(status, body) {
				t.Errorf("%s is documented but %s %s (%s values) gets the router's answer: %d %.200s", o, o.Method, path, s.name, status, body)
				continue
			}
			if o.Method == "GET" && o.Op["security"] == nil && s.name == "known" && status != http.StatusOK {
				t.Errorf("%s %s: %d, want 200: %.200s", o.Method, path, status, body)
			}
			if status == http.StatusNotFound && s.name == "known" {
				t.Errorf("%s %s: a handler's 404 for values the env knows: %.200s", o.Method, path, body)
			}
		}
	}
}

// No hidden method on a documented path: every method the document does
// not list for a path answers 405, and Allow names exactly the documented
// methods.
func TestOpenAPINoUndocumentedMethods(t *testing.T) {
	env := newTestEnv(t)
	doc, _ := openapiDoc(t, env)
	documented := map[string][]string{}
	for _, o := range openapiOps(t, doc) {
		documented[o.Path] = append(documented[o.Path], o.Method)
	}
	for path, methods := range documented {
		slices.Sort(methods)
		for _, s := range openapiSamples {
			filled := openapiFill(path, s.values)
			for _, m := range openapiMethods {
				if slices.Contains(methods, m) {
					continue
				}
				status, header, body := openapiDoRaw(t, env, m, filled)
				if status != http.StatusMethodNotAllowed || !openapiNoRoute(status, body) {
					t.Errorf("%s %s (documented: %s): %d, want the router's 405: %.200s", m, filled, strings.Join(methods, ", "), status, body)
					continue
				}
				allow := strings.Split(header.Get("Allow"), ", ")
				slices.Sort(allow)
				if !slices.Equal(allow, methods) {
					t.Errorf("%s %s: Allow %q, want the documented %s", m, filled, header.Get("Allow"), strings.Join(methods, ", "))
				}
			}
		}
	}
}

// Paths under /api/ that the document does not list answer the router's
// JSON 404 to every method; the document itself is the one undocumented
// route.
func TestOpenAPIUndocumentedPathsAreNotFound(t *testing.T) {
	env := newTestEnv(t)
	doc, _ := openapiDoc(t, env)
	paths := doc["paths"].(map[string]any)
	for _, path := range []string{
		"/api/v1",
		"/api/v1/",
		"/api/v1/nothing",
		"/api/v1/STATUS",
		"/api/v1/status/extra",
		"/api/v1/protocols/testif/nothing",
		"/api/v1/protocols/testif/known-issues/1",
		"/api/v1/protocols/testif/implementations/linux-frontend",
		"/api/v1/proposals/testif-1/objections/ring-size",
		"/api/v1/proposals/testif-1/objections/ring-size/nothing",
		"/api/v1/proposals/testif-1/holds/reviewer",
		"/api/v1/users/reviewer/nothing",
		"/api/v1/tokens/some-id/revoke",
		"/api/v1/objections",
		"/api/v1/healthz",
		"/api/v1/metrics",
		"/api/v1/signin",
		"/api/v1/ui/proposals/testif-1/positions",
		"/api/v2/status",
		"/api/status",
		"/api/",
	} {
		if _, ok := paths[path]; ok {
			t.Errorf("%s is documented; pick another undocumented path", path)
			continue
		}
		for _, m := range openapiMethods {
			status, header, body := openapiDoRaw(t, env, m, path)
			if status != http.StatusNotFound || !openapiNoRoute(status, body) || !strings.HasPrefix(header.Get("Content-Type"), "application/json") {
				t.Errorf("%s %s: %d %s, want the router's JSON 404: %.200s", m, path, status, header.Get("Content-Type"), body)
			}
		}
	}
	// Served under /api/v1 and not documented: the document itself.
	if status, _, _ := openapiDoRaw(t, env, "GET", "/api/v1/openapi.json"); status != http.StatusOK {
		t.Errorf("GET /api/v1/openapi.json: %d", status)
	}
}

// An operation that needs a token refuses an anonymous caller with 401,
// whatever the body: identification comes before reading the body.
func TestOpenAPIAnonymousRefusedBeforeBody(t *testing.T) {
	env := newTestEnv(t)
	doc, _ := openapiDoc(t, env)
	for _, o := range openapiOps(t, doc) {
		if security, _ := o.Op["security"].([]any); len(security) == 0 {
			continue // a public read
		}
		path := openapiFill(o.Path, openapiSamples[0].values)
		for _, body := range []string{"", "{", "[]"} {
			status, body2 := matrixDo(t, env, o.Method, path, "", body)
			if status != http.StatusUnauthorized || matrixErrorCode(body2) != pvczar.EUNAUTHORIZED {
				t.Errorf("%s %s anonymous with body %q: %d, want 401: %.200s", o.Method, path, body, status, body2)
			}
		}
	}
}

// openapiEnums are valid values of the properties the rules check before
// they look at the caller's role (decideUser parses the role first).
var openapiEnums = map[string]any{"role": "reviewer"}

// openapiSample makes a value of a schema's type.
func openapiSample(schema map[string]any) any {
	switch schema["type"] {
	case "string":
		if schema["format"] == "date-time" {
			return "2026-03-01T00:00:00Z"
		}
		return "x"
	case "integer", "number":
		return 1
	case "boolean":
		return true
	case "array":
		items, _ := schema["items"].(map[string]any)
		return []any{openapiSample(items)}
	case "object":
		out := map[string]any{}
		props, _ := schema["properties"].(map[string]any)
		for k, p := range props {
			out[k] = openapiSample(p.(map[string]any))
			if v, ok := openapiEnums[k]; ok {
				out[k] = v
			}
		}
		return out
	}
	return nil
}

// The documented request bodies are the ones the server reads: a body with
// every documented property, of its documented type, is not refused as
// malformed (a reader gets 403 for a command, not 400), and a property the
// document does not list is refused with 400.
func TestOpenAPIBodiesMatchServer(t *testing.T) {
	env := newTestEnv(t)
	doc, _ := openapiDoc(t, env)
	before := len(matrixEvents(t, env))
	for _, o := range openapiOps(t, doc) {
		rb, ok := o.Op["requestBody"].(map[string]any)
		if !ok {
			continue
		}
		schema := rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
		full, _ := json.Marshal(openapiSample(schema))
		path := openapiFill(o.Path, openapiSamples[0].values)
		if strings.HasSuffix(o.Path, "/password") {
			path = openapiFill(o.Path, map[string]string{"user": "czar"}) // the reader may not set it: 403
		}
		status, body := matrixDo(t, env, o.Method, path, "reader", string(full))
		if status == http.StatusBadRequest {
			t.Errorf("%s with every documented property %s: 400: %.300s", o, full, body)
		}
		if id, _ := o.Op["operationId"].(string); strings.Contains(id, ".") && status != http.StatusForbidden { // a command
			t.Errorf("%s as reader with %s: %d, want 403: %.300s", o, full, status, body)
		}
		status, body = matrixDo(t, env, o.Method, path, "reader", `{"matrix_undocumented": 1}`)
		if status != http.StatusBadRequest || !strings.Contains(body, "matrix_undocumented") {
			t.Errorf("%s with an undocumented property: %d, want 400 naming it: %.300s", o, status, body)
		}
	}
	if after := len(matrixEvents(t, env)); after != before {
		t.Errorf("%d events written", after-before)
	}
}

// The statuses the server answers are documented: the success of every
// mutating route (one allowed caller of each row of the role matrix), and
// the conflicts of the credential routes.
func TestOpenAPIStatusesDocumented(t *testing.T) {
	cases, _ := matrixRows(t)
	env := newTestEnv(t)
	doc, _ := openapiDoc(t, env)
	documented := map[string]map[string]any{}
	for _, o := range openapiOps(t, doc) {
		documented[o.String()], _ = o.Op["responses"].(map[string]any)
	}
	check := func(t *testing.T, key string, status int, what string) {
		t.Helper()
		if _, ok := documented[key][strconv.Itoa(status)]; !ok {
			var codes []string
			for c := range documented[key] {
				codes = append(codes, c)
			}
			sort.Strings(codes)
			t.Errorf("%s answers %d (%s), but its documented responses are %s", key, status, what, strings.Join(codes, ", "))
		}
	}
	for _, c := range cases {
		t.Run(c.key()+" "+c.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			var extra map[string]string
			if c.setup != nil {
				extra = c.setup(t, env)
			}
			caller := c.allowed[0]
			path, _ := c.pathFor(t, caller, extra)
			status, body := matrixDo(t, env, c.method, path, caller, c.body)
			if status/100 != 2 {
				t.Fatalf("%s %s as %s: %d: %.300s", c.method, path, caller, status, body)
			}
			check(t, c.key(), status, "success")
		})
	}
	t.Run("conflicts", func(t *testing.T) {
		env := newTestEnv(t)
		tokID := matrixReviewerToken(t, env)["id"]
		matrixMust(t, env, "DELETE", "/api/v1/tokens/"+tokID, "reviewer", "", http.StatusNoContent)
		status, body := matrixDo(t, env, "DELETE", "/api/v1/tokens/"+tokID, "reviewer", "")
		if status != http.StatusConflict {
			t.Fatalf("revoking a revoked token: %d, want 409: %s", status, body)
		}
		check(t, "DELETE /api/v1/tokens/{id}", status, "a revoked token")
		status, body = matrixDo(t, env, "PUT", "/api/v1/users/reviewer/password", "reviewer", `{"password":"short"}`)
		if status != http.StatusBadRequest {
			t.Fatalf("a short password: %d, want 400: %s", status, body)
		}
		check(t, "PUT /api/v1/users/{user}/password", status, "a short password")
	})
}
