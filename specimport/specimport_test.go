package specimport_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xen-pvczar/pvczar/pvspec"
	"github.com/xen-pvczar/pvczar/specimport"
)

func importStated(t *testing.T) (*specimport.Result, *pvspec.Spec) {
	t.Helper()
	src, err := os.ReadFile("testdata/stated.h")
	if err != nil {
		t.Fatal(err)
	}
	r, err := specimport.Import("testdata/stated.h", src, "stated")
	if err != nil {
		t.Fatal(err)
	}
	return r, r.Spec
}

// TestImportReadsComments: the keys of the XenBus Nodes sections (sides,
// types, defaults), the feature-* keys as features, the protocol version
// macro, and "available in protocol version 2" as since.
func TestImportReadsComments(t *testing.T) {
	r, s := importStated(t)
	if s.Version != 3 {
		t.Errorf("version %d, want 3 (STATED_PROTOCOL_VERSION)", s.Version)
	}
	var keys []string
	for _, k := range s.Xenstore {
		keys = append(keys, k.Side+" "+k.Name+" "+k.Type+" "+k.Default)
	}
	want := []string{
		"backend feature-trim bool 0", "backend max-queues uint 1", "backend versions list ",
		"frontend version uint ", "frontend ring-ref grant_ref ", "frontend event-channel evtchn ", "frontend label string none",
	}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s\n%s", diff, r.YAML)
	}
	if len(s.Features) != 1 || s.Features[0].Name != "trim" || s.Features[0].AdvertisedBy != "backend" || s.Features[0].Key != "feature-trim" || s.Features[0].Gates != "The backend handles STATED_OP_TRIM." {
		t.Errorf("features: %+v", s.Features)
	}
	var trim *pvspec.EnumValue
	for i := range s.Enums {
		for j := range s.Enums[i].Values {
			if v := &s.Enums[i].Values[j]; v.Name == "trim" {
				trim = v
			}
		}
	}
	if trim == nil || trim.Since != 2 {
		t.Errorf("STATED_OP_TRIM: %+v", trim)
	}
	// The keys without a default are named as TODOs: spec check's findings.
	if n := countContaining(r.TODOs, "key-default"); n != 4 {
		t.Errorf("%d key-default TODOs, want 4 (versions, version, ring-ref, event-channel): %v", n, r.TODOs)
	}
	// The versions and version keys say how versions are negotiated.
	if v := s.Versioning; v.OfferedBy != "backend" || v.OfferKey != "versions" || v.ChosenBy != "frontend" || v.ChoiceKey != "version" || !slices.Equal(v.Offered, []int{1, 2, 3}) {
		t.Errorf("versioning: %+v", v)
	}
	for _, todo := range r.TODOs {
		if !strings.HasPrefix(todo, "stated.yaml:") {
			t.Errorf("a TODO not placed in the skeleton: %s", todo)
		}
	}
}

// TestImportMarksReservedAndVersions: _pad, reserved and rsvd fields are
// reserved; "Only in version 3" gives since.
func TestImportMarksReservedAndVersions(t *testing.T) {
	_, s := importStated(t)
	fields := map[string]*pvspec.Field{}
	for _, st := range s.Structs {
		for _, f := range st.Fields {
			fields[st.Name+"."+f.Name] = f
		}
	}
	for _, name := range []string{"stated_request._pad", "stated_request.reserved", "stated_response.rsvd1"} {
		if f := fields[name]; f == nil || !f.Reserved {
			t.Errorf("%s is not reserved: %+v", name, f)
		}
	}
	for _, name := range []string{"stated_request.operation", "stated_request.id", "stated_response.status"} {
		if f := fields[name]; f == nil || f.Reserved {
			t.Errorf("%s is reserved: %+v", name, f)
		}
	}
	if f := fields["stated_request.flags"]; f == nil || f.Since != 3 {
		t.Errorf("flags: %+v", f)
	}
}

// TestImportSharedObjects: the ring of DEFINE_RING_TYPES with its slots,
// and a struct named *_page as a shared page.
func TestImportSharedObjects(t *testing.T) {
	_, s := importStated(t)
	var got []string
	for _, o := range s.Shared {
		got = append(got, o.Name+" "+o.Kind+" "+o.Request+o.Response+o.Struct)
	}
	if diff := cmp.Diff([]string{"stated_page page stated_page", "stated ring stated_requeststated_response"}, got); diff != "" {
		t.Errorf("shared objects (-want +got):\n%s", diff)
	}
	// A union of scalars has no variants: its bytes, not a TODO.
	if !slices.ContainsFunc(s.Structs, func(st *pvspec.Struct) bool { return st.Name == "stated_any" && st.Size == 4 }) {
		t.Error("no stated_any")
	}
}

func countContaining(list []string, s string) int {
	n := 0
	for _, x := range list {
		if strings.Contains(x, s) {
			n++
		}
	}
	return n
}

// FuzzImport: the translator never panics; what it writes is a spec
// (Import decodes its own output) with the id asked for and every struct
// and enum it counts, and spec check's findings are placed in it.
func FuzzImport(f *testing.F) {
	for _, name := range []string{"testdata/stated.h", "../cheader/testdata/demoif.h"} {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte("/*\n * Backend XenBus Nodes\n *\n * a\n *      Values: <uint>\n */\nstruct x { uint8_t _pad; uint32_t y; };\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		r, err := specimport.Import("fuzz.h", src, "fuzz")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.h") {
				t.Fatalf("an error without its file: %v", err)
			}
			return
		}
		s := r.Spec
		if s == nil || s.ID != "fuzz" || s.File != "fuzz.yaml" {
			t.Fatalf("the skeleton is not spec fuzz in fuzz.yaml: %+v", s)
		}
		if len(s.Structs) != r.Structs || len(s.Enums) != r.Enums {
			t.Errorf("%d structs and %d enums in the skeleton, %d and %d counted\n%s", len(s.Structs), len(s.Enums), r.Structs, r.Enums, r.YAML)
		}
		for _, todo := range r.TODOs {
			if !strings.HasPrefix(todo, "fuzz.yaml:") {
				t.Errorf("a TODO not placed in the skeleton: %s", todo)
			}
		}
	})
}
