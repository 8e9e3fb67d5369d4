package pvspec_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/xen-pvczar/pvczar/pvspec"
)

const draft2020 = "https://json-schema.org/draft/2020-12/schema"

// schemaDoc is the schema as JSON values.
func schemaDoc(t *testing.T) map[string]any {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(pvspec.Schema))
	if err != nil {
		t.Fatalf("schema.json is not JSON: %v", err)
	}
	m, ok := doc.(map[string]any)
	if !ok {
		t.Fatalf("schema.json is a %T, not an object", doc)
	}
	return m
}

// compileSchema compiles the schema as draft 2020-12 (the compiler also
// validates it against the draft's metaschema).
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc := schemaDoc(t)
	if doc["$schema"] != draft2020 {
		t.Fatalf("$schema is %v, want %s", doc["$schema"], draft2020)
	}
	id, _ := doc["$id"].(string)
	if id == "" {
		t.Fatal("schema.json has no $id")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if sch.DraftVersion != 2020 {
		t.Fatalf("compiled as draft %d, want 2020", sch.DraftVersion)
	}
	return sch
}

// yamlValue reads a YAML file into the JSON values a JSON Schema
// validator takes: mappings with string keys, numbers as json.Number.
func yamlValue(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(normalise(v))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// normalise turns YAML mappings with non-string keys into string-keyed maps.
func normalise(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = normalise(e)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = normalise(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = normalise(e)
		}
		return v
	}
	return v
}

// specFiles are toy.yaml and the specs of real protocols in /specs.
func specFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../specs/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"testdata/toy.yaml"}, files...)
}

func TestSchemaCompiles(t *testing.T) {
	compileSchema(t)
}

// TestSchemaValidatesSpecs: every spec the strict decoder accepts is valid
// under the schema too.
func TestSchemaValidatesSpecs(t *testing.T) {
	sch := compileSchema(t)
	for _, file := range specFiles(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(yamlValue(t, data)); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}

// resolve follows a local "$ref": "#/$defs/NAME" chain.
func resolve(t *testing.T, root, node map[string]any, where string) map[string]any {
	t.Helper()
	for range 10 {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		name, ok := strings.CutPrefix(ref, "#/$defs/")
		if !ok {
			t.Fatalf("%s: $ref %q: only #/$defs/NAME is followed", where, ref)
		}
		defs, _ := root["$defs"].(map[string]any)
		next, ok := defs[name].(map[string]any)
		if !ok {
			t.Fatalf("%s: $ref %q resolves to nothing", where, ref)
		}
		node = next
	}
	t.Fatalf("%s: $ref chain too long", where)
	return nil
}

// schemaTypes lists a schema node's "type", a string or a list.
func schemaTypes(node map[string]any) []string {
	switch ty := node["type"].(type) {
	case string:
		return []string{ty}
	case []any:
		var out []string
		for _, e := range ty {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// yamlName is a struct field's key in a spec, "" when it has none.
func yamlName(f reflect.StructField) string {
	name := strings.Split(f.Tag.Get("yaml"), ",")[0]
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

// checkAgainstTypes walks the Go type and the schema together: every
// struct is an object with additionalProperties false and exactly the
// struct's yaml keys as properties, each described; every scalar has the
// matching JSON type; every slice is an array of the element's schema.
func checkAgainstTypes(t *testing.T, root, node map[string]any, typ reflect.Type, where string, depth int) {
	t.Helper()
	if depth > 20 {
		t.Fatalf("%s: nested too deeply", where)
	}
	node = resolve(t, root, node, where)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	wantType := func(want string) {
		if !slices.Contains(schemaTypes(node), want) {
			t.Errorf("%s: Go %s, but the schema's type is %v, want %q", where, typ, node["type"], want)
		}
	}
	switch typ.Kind() {
	case reflect.Struct:
		if !slices.Equal(schemaTypes(node), []string{"object"}) {
			t.Errorf("%s (Go %s): the schema's type is %v, want object", where, typ, node["type"])
		}
		if ap, ok := node["additionalProperties"].(bool); !ok || ap {
			t.Errorf("%s (Go %s): the schema needs \"additionalProperties\": false", where, typ)
		}
		props, _ := node["properties"].(map[string]any)
		keys := map[string]bool{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			key := yamlName(f)
			if key == "" {
				continue
			}
			keys[key] = true
			prop, ok := props[key].(map[string]any)
			if !ok {
				t.Errorf("%s: spec.go has key %q (%s.%s) but the schema has no such property", where, key, typ.Name(), f.Name)
				continue
			}
			if d, _ := prop["description"].(string); strings.TrimSpace(d) == "" {
				t.Errorf("%s.%s: the schema property has no description", where, key)
			}
			checkAgainstTypes(t, root, prop, f.Type, where+"."+key, depth+1)
		}
		var extra []string
		for key := range props {
			if !keys[key] {
				extra = append(extra, key)
			}
		}
		sort.Strings(extra)
		for _, key := range extra {
			t.Errorf("%s: the schema has property %q but spec.go's %s has no such key", where, key, typ.Name())
		}
		if req, ok := node["required"].([]any); ok {
			for _, r := range req {
				if s, _ := r.(string); !keys[s] {
					t.Errorf("%s: the schema requires %q, which spec.go's %s does not have", where, r, typ.Name())
				}
			}
		}
	case reflect.Slice:
		wantType("array")
		items, ok := node["items"].(map[string]any)
		if !ok {
			t.Errorf("%s: an array without items", where)
			return
		}
		checkAgainstTypes(t, root, items, typ.Elem(), where+"[]", depth+1)
	case reflect.String:
		wantType("string")
	case reflect.Bool:
		wantType("boolean")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		wantType("integer")
	default:
		t.Errorf("%s: Go %s: the test does not know how to compare this kind", where, typ)
	}
}

// TestSchemaMatchesTypes: the schema and spec.go's types have the same
// keys, both ways, so a key added to one and not the other fails here.
func TestSchemaMatchesTypes(t *testing.T) {
	root := schemaDoc(t)
	checkAgainstTypes(t, root, root, reflect.TypeOf(pvspec.Spec{}), "spec", 0)
}

// leaves are the innermost errors of a validation error.
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// TestSchemaRejects: unknown keys, wrong types, unknown vocabulary and
// missing required properties fail validation, at the right place.
func TestSchemaRejects(t *testing.T) {
	sch := compileSchema(t)
	data, err := os.ReadFile("testdata/toy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	obj := func(v any, path ...any) map[string]any {
		for _, p := range path {
			switch p := p.(type) {
			case string:
				v = v.(map[string]any)[p]
			case int:
				v = v.([]any)[p]
			}
		}
		return v.(map[string]any)
	}
	for _, tc := range []struct {
		name     string
		mutate   func(doc any)
		at       string // the JSON pointer of the failing value
		keyword  string // the failing keyword
		mentions string // a word of the message
	}{
		{"unknown top-level key", func(d any) { obj(d)["colour"] = "red" }, "", "additionalProperties", "colour"},
		{"unknown field key", func(d any) { obj(d, "structs", 0, "fields", 1)["offset"] = json.Number("8") }, "/structs/0/fields/1", "additionalProperties", "offset"},
		{"unknown conventions key", func(d any) { obj(d, "conventions")["endian"] = "little" }, "/conventions", "additionalProperties", "endian"},
		{"wrong type: version", func(d any) { obj(d)["version"] = "one" }, "/version", "type", ""},
		{"wrong type: at", func(d any) { obj(d, "structs", 0, "fields", 0)["at"] = "zero" }, "/structs/0/fields/0/at", "type", ""},
		{"wrong type: fields", func(d any) { obj(d, "structs", 0)["fields"] = "id" }, "/structs/0/fields", "type", ""},
		{"unknown byte order", func(d any) { obj(d, "conventions")["byte_order"] = "middle" }, "/conventions/byte_order", "enum", ""},
		{"unknown XenbusState", func(d any) { obj(d, "xenstore", 0)["ready_by"] = "Ready" }, "/xenstore/0/ready_by", "enum", ""},
		{"unknown side", func(d any) { obj(d, "handshake", 0)["side"] = "hypervisor" }, "/handshake/0/side", "enum", ""},
		{"unknown key type", func(d any) { obj(d, "xenstore", 0)["type"] = "float" }, "/xenstore/0/type", "enum", ""},
		{"unknown stage", func(d any) { obj(d)["stage"] = "done" }, "/stage", "enum", ""},
		{"missing byte order", func(d any) { delete(obj(d, "conventions"), "byte_order") }, "/conventions", "required", "byte_order"},
		{"missing pvspec", func(d any) { delete(obj(d), "pvspec") }, "", "required", "pvspec"},
		{"missing offset", func(d any) { delete(obj(d, "structs", 0, "fields", 0), "at") }, "/structs/0/fields/0", "required", "at"},
		{"open enum without reaction", func(d any) { delete(obj(d, "enums", 1), "unknown") }, "/enums/1", "required", "unknown"},
		{"bytes without size", func(d any) { delete(obj(d, "structs", 0, "fields", 2), "size") }, "/structs/0/fields/2", "required", "size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := yamlValue(t, data)
			if err := sch.Validate(doc); err != nil {
				t.Fatalf("toy.yaml itself: %v", err)
			}
			tc.mutate(doc)
			err := sch.Validate(doc)
			if err == nil {
				t.Fatal("valid, want an error")
			}
			ve, ok := err.(*jsonschema.ValidationError)
			if !ok {
				t.Fatalf("%T: %v", err, err)
			}
			for _, l := range leaves(ve) {
				at := ""
				for _, p := range l.InstanceLocation {
					at += "/" + p
				}
				kp := l.ErrorKind.KeywordPath()
				if at == tc.at && len(kp) > 0 && kp[len(kp)-1] == tc.keyword && strings.Contains(l.Error(), tc.mentions) {
					return
				}
			}
			t.Fatalf("no %s error at %q mentioning %q:\n%v", tc.keyword, tc.at, tc.mentions, err)
		})
	}
}
