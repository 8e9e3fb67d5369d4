package xen_test

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/xen"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/tree/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readFixtureF(f *testing.F, name string) []byte {
	data, err := os.ReadFile("testdata/tree/" + name)
	if err != nil {
		f.Fatal(err)
	}
	return data
}

func TestParseSupport(t *testing.T) {
	sf, err := xen.ParseSupport("SUPPORT.md", readFixture(t, "SUPPORT.md.2"))
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Title, Side, Protocol, Description, Caveat string
		Line                                       int
		Statuses                                   []xen.StatusLine
	}
	var got []entry
	for _, e := range sf.Entries {
		got = append(got, entry{e.Title, e.Side, e.Protocol, e.Description, e.Caveat, e.Line, e.Statuses})
	}
	want := []entry{
		{"Blkfront", "frontend", "blkif", "Guest-side driver of the block protocol", "The Windows frontend trusts its backend.", 5, []xen.StatusLine{
			{Line: 9, Who: "Linux", CodeBase: "linux", Label: "Supported"},
			{Line: 10, Who: "Windows", CodeBase: "windows", Label: "Supported", Note: "with caveats"}}},
		{"PV Foo (frontend)", "frontend", "", "", "", 14, []xen.StatusLine{{Line: 16, Who: "Linux (foofront)", CodeBase: "linux", Label: "Tech Preview"}}},
		{"Blkback", "backend", "blkif", "", "Backends read the raw format only.", 20, []xen.StatusLine{
			{Line: 22, Who: "QEMU (qdisk), raw format", CodeBase: "qemu", Label: "Supported"},
			{Line: 23, Who: "Blktap2", CodeBase: "xen-tools", Label: "Deprecated"}}},
		{"PV Foo (backend)", "backend", "", "", "", 27, []xen.StatusLine{
			{Line: 29, Who: "Linux", CodeBase: "linux", Label: "Experimental", Note: `in "split" mode`},
			{Line: 30, Who: "Linux", CodeBase: "linux", Label: "Tech Preview", Note: `outside "split" mode`}}},
		{"Online resize of virtual disks", "backend", "", "", "", 32, []xen.StatusLine{{Line: 34, CodeBase: "xen-tools", Label: "Supported"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if sf.Sections != 2 || len(sf.Warnings) != 0 {
		t.Errorf("sections %d, warnings %v", sf.Sections, sf.Warnings)
	}
	// The caveat goes to the lines "with caveats" only.
	blk := sf.Entries[0]
	if l, w := blk.Implementation(blk.Statuses[0]), blk.Implementation(blk.Statuses[1]); l.Caveat != "" || w.Caveat == "" {
		t.Errorf("caveats: Linux %q, Windows %q", l.Caveat, w.Caveat)
	}
	// A section whose lines are none "with caveats" gives its text to all.
	if back := sf.Entries[2]; back.Implementation(back.Statuses[0]).Caveat != "Backends read the raw format only." {
		t.Errorf("the Blkback note is not on its lines")
	}
}

func TestParseSupportTolerance(t *testing.T) {
	sf, err := xen.ParseSupport("SUPPORT.md", readFixture(t, "SUPPORT.md.1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sf.Warnings) != 1 || sf.Warnings[0].Line != 14 || !strings.Contains(sf.Warnings[0].Message, "States") {
		t.Errorf("warnings: %v", sf.Warnings)
	}
	if got := sf.Entries[0].Statuses[1]; got.Who != "Windows" || got.Label != "Supported" {
		t.Errorf("the States line: %+v", got)
	}
	// A file of 2017, before the PV sections, lists nothing and is no error.
	sf, err = xen.ParseSupport("SUPPORT.md", []byte("# Support\n\n## Feature Support\n\n### Foo\n\n    Status: Supported\n"))
	if err != nil || len(sf.Entries) != 0 || sf.Sections != 0 {
		t.Errorf("no PV sections: %v, %+v", err, sf)
	}
}

func TestParseSupportErrors(t *testing.T) {
	head := "## Virtual driver support, guest side\n\n"
	for _, tc := range []struct {
		name, text, want string
	}{
		{"unknown label", head + "### Blkfront\n\n    Status, Linux: Rock solid\n", `SUPPORT.md:5: unknown label "Rock solid"`},
		{"not a status line", head + "### Blkfront\n\n    Stability, Linux: Supported\n", "SUPPORT.md:5: want `Status[, WHO]: LABEL`"},
		{"no colon", head + "### Blkfront\n\n    Status Supported\n", "SUPPORT.md:5: status line \"Status Supported\" has no ':'"},
		{"empty who", head + "### Blkfront\n\n    Status, : Supported\n", "SUPPORT.md:5: status line \"Status, : Supported\" names no implementation"},
		{"outside an entry", head + "    Status, Linux: Supported\n", "SUPPORT.md:3: a status line outside any entry"},
		{"entry without status", head + "### Blkfront\n\nJust prose.\n\n### Netfront\n\n    Status: Supported\n", `SUPPORT.md:3: entry "Blkfront" has no status line`},
		{"entry twice", head + "### Blkfront\n\n    Status: Supported\n\n### blkfront\n\n    Status: Supported\n", `SUPPORT.md:7: entry "blkfront" is given twice (first at line 3)`},
		{"empty heading", head + "###\n", "SUPPORT.md:3: an entry heading with no title"},
		{"not UTF-8", head + "### Blk\xfffront\n", "SUPPORT.md:3: not UTF-8 text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := xen.ParseSupport("SUPPORT.md", []byte(tc.text))
			if err == nil || !strings.HasPrefix(pvczar.ErrorMessage(err), tc.want) || pvczar.ErrorCode(err) != pvczar.EINVALID {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestMixedLabels(t *testing.T) {
	sf, err := xen.ParseSupport("SUPPORT.md", readFixture(t, "SUPPORT.md.4"))
	if err != nil {
		t.Fatal(err)
	}
	mixed := sf.Mixed("SUPPORT.md", byTitle)
	if len(mixed) != 1 || mixed[0].Line != 33 || mixed[0].Rule != xen.RuleSupportMixed || !strings.Contains(mixed[0].Message, "Experimental, Tech Preview") {
		t.Errorf("mixed: %v", mixed)
	}
	// Deprecated variants and different code bases are not mixed labels.
	sf, _ = xen.ParseSupport("SUPPORT.md", readFixture(t, "SUPPORT.md.3"))
	if mixed := sf.Mixed("SUPPORT.md", byTitle); len(mixed) != 0 {
		t.Errorf("mixed in a file without: %v", mixed)
	}
}

func TestTitleProtocols(t *testing.T) {
	text := "## Virtual device support, host side\n\n"
	want := map[string]string{"Blkback": "blkif", "Netback": "netif", "PV Framebuffer (backend)": "fbif", "PV display (frontend)": "displif",
		"PV Console (xenconsoled)": "console", "PV keyboard (backend)": "kbdif", "PV USB (backend)": "usbif", "PV SCSI protocol (backend)": "vscsiif",
		"PV TPM (backend)": "tpmif", "PV 9pfs (backend)": "9pfs", "PVCalls (backend)": "pvcalls", "PV sound (frontend)": "sndif",
		"Online resize of virtual disks": ""}
	for title := range want {
		text += "### " + title + "\n\n    Status: Supported\n\n"
	}
	sf, err := xen.ParseSupport("SUPPORT.md", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range sf.Entries {
		if e.Protocol != want[e.Title] {
			t.Errorf("%q names %q, want %q", e.Title, e.Protocol, want[e.Title])
		}
	}
	// The console daemon's bare "Status:" is named by the title.
	for _, e := range sf.Entries {
		if e.Title == "PV Console (xenconsoled)" {
			if impl := e.Implementation(e.Statuses[0]); impl.Name != "xenconsoled" || impl.CodeBase != "xen-tools" {
				t.Errorf("xenconsoled: %+v", impl)
			}
		}
	}
}

func FuzzParseSupport(f *testing.F) {
	for _, name := range []string{"SUPPORT.md.1", "SUPPORT.md.2", "SUPPORT.md.3", "SUPPORT.md.4"} {
		f.Add(readFixtureF(f, name))
	}
	f.Add([]byte("## Virtual driver support, guest side\n### X\n    Status, A (b), c: Supported (d)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := xen.ParseSupport("SUPPORT.md", data)
		if err != nil {
			if !strings.HasPrefix(pvczar.ErrorMessage(err), "SUPPORT.md:") {
				t.Fatalf("an error without its place: %v", err)
			}
			return
		}
		for _, e := range sf.Entries {
			if len(e.Statuses) == 0 || e.Line < 1 {
				t.Fatalf("entry %+v", e)
			}
			for _, st := range e.Statuses {
				if st.Label == "" || st.Line <= e.Line {
					t.Fatalf("status %+v of %q", st, e.Title)
				}
				impl := e.Implementation(st)
				if _, err := pvczar.ParseSupport(impl.Support); err != nil {
					t.Fatal(err)
				}
			}
		}
		sf.Mixed("SUPPORT.md", byTitle)
	})
}

// byTitle names an entry's protocol by its title, as the table of titles does.
func byTitle(e xen.SupportEntry) string { return e.Protocol }
