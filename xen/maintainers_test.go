package xen_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/xen"
)

func TestParseMaintainers(t *testing.T) {
	mf, err := xen.ParseMaintainers("MAINTAINERS", readFixture(t, "MAINTAINERS.1"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range mf.Sections {
		names = append(names, s.Name)
	}
	if diff := cmp.Diff([]string{"FOO TOOLS", "PUBLIC I/O INTERFACES AND PV DRIVERS DESIGNS", "THE REST"}, names); diff != "" {
		t.Errorf("sections (-want +got):\n%s", diff)
	}
	rest := mf.Section("the rest")
	if rest == nil || rest.Line != 19 || len(rest.Reviewers) != 1 || rest.Reviewers[0] != (xen.Person{Name: "Carol Review", Email: "carol@xen.example", Line: 21}) {
		t.Errorf("THE REST: %+v", rest)
	}

	// Nesting: the most specific entry maintains a path; THE REST only
	// what nobody else does.
	for path, want := range map[string]string{
		"xen/include/public/io/blkif.h": "PUBLIC I/O INTERFACES AND PV DRIVERS DESIGNS",
		"xen/include/public/io/barif.h": "THE REST", // excluded by X:
		"docs/misc/fooif.pandoc":        "FOO TOOLS",
		"tools/foo":                     "FOO TOOLS", // a directory named without its slash
		"tools/foo/a/b.c":               "FOO TOOLS",
		"tools/foobar/x.c":              "THE REST",
		"README":                        "THE REST",
		"docs/misc/fooif/sub.txt":       "THE REST", // "fooif*" covers the files of docs/misc, not below
	} {
		var got []string
		for _, s := range mf.Covering(path) {
			got = append(got, s.Name)
		}
		if strings.Join(got, ",") != want {
			t.Errorf("%s is covered by %v, want %s", path, got, want)
		}
	}
	if mf.CoveredBeyondCatchAll("xen/include/public/io/barif.h") || !mf.CoveredBeyondCatchAll("xen/include/public/io/fooif.h") {
		t.Error("coverage beyond THE REST")
	}

	roles := mf.Roles([]string{"xen/include/public/io/blkif.h", "docs/misc/fooif.pandoc", "xen/include/public/io/barif.h"})
	var got []string
	for _, r := range roles {
		got = append(got, r.Email+"="+string(r.Role))
	}
	want := []string{"alice@xen.example=czar", "dan@foo.example=maintainer", "bob@xen.example=maintainer", "carol@xen.example=reviewer"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
}

func TestParseMaintainersErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"mixed block", "FOO\nM:\tA <a@x>\nnot a tag\n", `MAINTAINERS:3: entry "FOO": want a tagged line`},
		{"unknown tag", "FOO\nM:\tA <a@x>\nQ:\tsomething\n", `MAINTAINERS:3: entry "FOO": unknown tag Q:`},
		{"no address", "FOO\nM:\tJust A Name\n", `MAINTAINERS:2: entry "FOO": M: "Just A Name" is not "Name <address@domain>"`},
		{"empty value", "FOO\nF:\t\n", `MAINTAINERS:2: entry "FOO": F: with nothing after it`},
		{"pattern with space", "FOO\nF:\ta b\n", `MAINTAINERS:2: entry "FOO": F: pattern "a b" has white space`},
		{"no name", "\nM:\tA <a@x>\nF:\tx/\n", `MAINTAINERS:2: an entry starts with a tagged line`},
		{"lone tag", "prose\n\nM:\tA <a@x>\n", `MAINTAINERS:3: a tagged line with no entry name above it`},
		{"not UTF-8", "FOO\nM:\tA\xff <a@x>\n", `MAINTAINERS:2: not UTF-8 text`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := xen.ParseMaintainers("MAINTAINERS", []byte(tc.text))
			if err == nil || !strings.HasPrefix(pvczar.ErrorMessage(err), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzParseMaintainers(f *testing.F) {
	f.Add(readFixtureF(f, "MAINTAINERS.1"))
	f.Add(readFixtureF(f, "MAINTAINERS.2"))
	f.Add([]byte("A\nF:\t*/x?y*/\nX:\t[a\nM:\t\"Q, R\" <q@r>\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		mf, err := xen.ParseMaintainers("MAINTAINERS", data)
		if err != nil {
			if !strings.HasPrefix(pvczar.ErrorMessage(err), "MAINTAINERS:") {
				t.Fatalf("an error without its place: %v", err)
			}
			return
		}
		for _, s := range mf.Sections {
			for _, p := range append(s.Maintainers, s.Reviewers...) {
				if !strings.Contains(p.Email, "@") {
					t.Fatalf("person %+v", p)
				}
			}
		}
		mf.Roles([]string{"xen/include/public/io/blkif.h", "docs/misc/x.pandoc", "a"})
		mf.CoveredBeyondCatchAll("tools/x")
	})
}
