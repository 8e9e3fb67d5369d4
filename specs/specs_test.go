// Package specs_test checks the pvspec files of real Xen PV protocols: each
// must pass pvczar's own checks, and, when xen.git is at hand
// ($PVCZAR_XEN_GIT), every offset, size and constant it states must agree
// with xen.git's C header, on x86_64 and on x86_32, as gcc sees them.
package specs_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/internal/xentest"
	"github.com/xen-pvczar/pvczar/pvspec"
)

// load decodes every spec of this directory.
func load(t *testing.T) []*pvspec.Spec {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no specs/*.yaml")
	}
	sort.Strings(files)
	var out []*pvspec.Spec
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := pvspec.Decode("specs/"+f, data)
		if err != nil {
			t.Errorf("decoding: %v", err)
			continue
		}
		out = append(out, s)
	}
	return out
}

func TestSpecsCheckClean(t *testing.T) {
	for _, s := range load(t) {
		for _, f := range pvspec.Check(s) {
			t.Errorf("%s", f)
		}
	}
}

// The #defines of the headers that enum values are compared with: for a
// spec and an enum, the C expression that a value of that name must equal,
// or "" for a value the header has no constant for.
var enumDefines = map[string]map[string]func(value string) string{
	"pvcalls": {
		"cmd": prefix("PVCALLS_"),
		// The design document's error numbers are Linux's; those that
		// Xen's errno.h also gives guests must agree with it. eafnosupport
		// and enotsup (-524, Linux's internal ENOTSUPP) are not in
		// errno.h; eintr and erestart are there for Xen's internal use.
		"error": xenErrno("ok", "eafnosupport", "enotsup", "eintr", "erestart"),
		// socket_domain, socket_type and function_calls are defined by the
		// design document only.
	},
	"displif": {
		"operation":  prefix("XENDISPL_OP_"),
		"event_type": prefix("XENDISPL_EVT_"),
		"dbuf_flags": prefix("XENDISPL_DBUF_FLG_"),
		"status":     xenErrno("ok"),
	},
}

func init() {
	// The specs written from the headers' #defines and C enums: each enum's
	// values are the header's constants with a prefix.
	for id, enums := range map[string]map[string]string{
		"blkif":    {"blkif_op": "BLKIF_OP_", "blkif_rsp": "BLKIF_RSP_"},
		"netif":    {"xen_netif_ctrl_hash_algorithm": "XEN_NETIF_CTRL_HASH_ALGORITHM_", "xen_netif_ctrl_type": "XEN_NETIF_CTRL_TYPE_", "xen_netif_ctrl_status": "XEN_NETIF_CTRL_STATUS_", "xen_netif_extra_type": "XEN_NETIF_EXTRA_TYPE_", "xen_netif_gso_type": "XEN_NETIF_GSO_TYPE_", "netif_rsp": "NETIF_RSP_"},
		"console":  {"xenconsole": "XENCONSOLE_"},
		"xs_wire":  {"xenstore_server_feature": "XENSTORE_SERVER_FEATURE_", "xenstore_connection": "XENSTORE_", "xsd_sockmsg_type": "", "xs_watch_type": ""},
		"fbif":     {"xenfb_type": "XENFB_TYPE_"},
		"kbdif":    {"xenkbd_type": "XENKBD_TYPE_", "xenkbd_mt_ev": "XENKBD_MT_EV_"},
		"pciif":    {"xen_pci_op": "XEN_PCI_OP_", "xen_pci_err": "XEN_PCI_ERR_"},
		"usbif":    {"usbif_pipe_type": "USBIF_PIPE_TYPE_", "usbif_status": "USBIF_STATUS_", "usbif_speed": "USBIF_SPEED_", "usb_spec_version": ""},
		"vscsiif":  {"vscsiif_act_scsi": "VSCSIIF_ACT_SCSI_", "xen_vscsiif_rslt_host": "XEN_VSCSIIF_RSLT_HOST_", "xen_vscsiif_rslt_reset": "XEN_VSCSIIF_RSLT_RESET_"},
		"tpmif":    {"tpmif_state": ""},
		"sndif":    {"xensnd_pcm_format": "XENSND_PCM_FORMAT_", "xensnd_op": "XENSND_OP_", "xensnd_op_trigger": "XENSND_OP_TRIGGER_", "xensnd_evt_type": "XENSND_EVT_"},
		"cameraif": {"xencamera_op": "XENCAMERA_OP_", "xencamera_ctrl": "XENCAMERA_CTRL_", "xencamera_ctrl_flg": "XENCAMERA_CTRL_FLG_", "xencamera_colorspace": "XENCAMERA_COLORSPACE_", "xencamera_xfer_func": "XENCAMERA_XFER_FUNC_", "xencamera_ycbcr_enc": "XENCAMERA_YCBCR_ENC_", "xencamera_quantization": "XENCAMERA_QUANTIZATION_", "xencamera_evt_type": "XENCAMERA_EVT_"},
	} {
		enumDefines[id] = map[string]func(string) string{}
		for enum, p := range enums {
			enumDefines[id][enum] = prefix(p)
		}
	}
	// pciif.h spells its operations and errors in lower case
	// (XEN_PCI_OP_conf_read, XEN_PCI_ERR_dev_not_found).
	enumDefines["pciif"]["xen_pci_op"] = func(v string) string { return "XEN_PCI_OP_" + v }
	enumDefines["pciif"]["xen_pci_err"] = func(v string) string { return "XEN_PCI_ERR_" + v }
}

func prefix(p string) func(string) string {
	return func(v string) string { return p + strings.ToUpper(v) }
}

// xenErrno compares a negated errno with Xen's public errno.h.
func xenErrno(none ...string) func(string) string {
	return func(v string) string {
		for _, n := range none {
			if v == n {
				return ""
			}
		}
		return "(-XEN_" + strings.ToUpper(v) + ")"
	}
}

// Other constants of the headers: the protocol version, and ring sizes
// computed by the header's own macros for each shared object.
var versionDefines = map[string]string{"displif": "XENDISPL_PROTOCOL_VERSION_INT", "sndif": "XENSND_PROTOCOL_VERSION"}

var slotDefines = map[string]map[string]string{
	"ring":     {"ring": "__CONST_RING_SIZE(ring, 4096)"},
	"blkif":    {"blkif": "__CONST_RING_SIZE(blkif, 4096)"},
	"netif":    {"netif_tx": "__CONST_RING_SIZE(netif_tx, 4096)", "netif_rx": "__CONST_RING_SIZE(netif_rx, 4096)", "xen_netif_ctrl": "__CONST_RING_SIZE(xen_netif_ctrl, 4096)"},
	"vscsiif":  {"vscsiif": "__CONST_RING_SIZE(vscsiif, 4096)"},
	"usbif":    {"usbif_urb": "__CONST_RING_SIZE(usbif_urb, 4096)", "usbif_conn": "__CONST_RING_SIZE(usbif_conn, 4096)"},
	"sndif":    {"xen_sndif": "__CONST_RING_SIZE(xen_sndif, 4096)", "events": "XENSND_IN_RING_LEN"},
	"cameraif": {"xen_cameraif": "__CONST_RING_SIZE(xen_cameraif, 4096)", "events": "XENCAMERA_IN_RING_LEN"},
	"pvcalls":  {"commands": "__CONST_RING_SIZE(xen_pvcalls, 4096)"},
	"displif": {
		"requests": "__CONST_RING_SIZE(xen_displif, 4096)",
		"events":   "XENDISPL_IN_RING_LEN",
	},
}

// Fields that the header declares as a flexible array member while the
// spec gives the page's full count: C's sizeof stops where they start.
// (With an interface version older than 0x00041300, XENPV_FLEX_ARRAY_DIM
// is 1 instead; the test asks for the latest interface.)
var flexible = map[string]bool{"xendispl_page_directory.gref": true, "xensnd_page_directory.gref": true, "xencamera_page_directory.gref": true}

// preludes are C a spec's check needs after its header: ring.h defines its
// structs only when its macro is used.
var preludes = map[string]string{
	"ring": "struct ring_req { uint64_t id; };\nstruct ring_rsp { uint64_t id; };\nDEFINE_RING_TYPES(ring, struct ring_req, struct ring_rsp);\n",
}

// x86_64Only are the protocols whose header lays messages out differently
// on x86_32: their specs give the x86_64 layout, and x86_32 is not checked.
var x86_64Only = map[string]string{
	"blkif": "64-bit fields at 4-byte offsets on x86_32; the frontend names its ABI in the protocol key",
	"fbif":  "the page directory pd[] is unsigned long: 4 bytes on x86_32",
	"tpmif": "the version-1 request's addr is unsigned long: 4 bytes on x86_32",
}

func TestSpecsMatchXenHeaders(t *testing.T) {
	specs := load(t)
	root, commit := xentest.Tree(t)
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc to compile the comparison with")
	}
	t.Logf("comparing with xen.git commit %s", commit)
	for _, s := range specs {
		if s.References.Header == "" {
			continue
		}
		t.Run(s.ID, func(t *testing.T) {
			src, n := cFile(t, s, root)
			file := filepath.Join(t.TempDir(), s.ID+".c")
			if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			arches := []string{"-m64", "-m32"}
			if why, ok := x86_64Only[s.ID]; ok {
				arches = arches[:1]
				t.Logf("%s: x86_64 only: %s", s.ID, why)
			}
			for _, arch := range arches {
				cmd := exec.Command("gcc", arch, "-std=c11", "-ffreestanding", "-fsyntax-only",
					"-D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__",
					"-I", filepath.Join(root, "xen/include/public/io"), "-I", filepath.Join(root, "xen/include/public"), file)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("gcc %s: %v: %s and %s disagree:\n%s", arch, err, s.File, s.References.Header, out)
				}
			}
			if t.Failed() {
				return
			}
			t.Logf("%d assertions against %s at %s hold on %s", n, s.References.Header, commit, strings.Join(arches, " and "))
		})
	}
}

// gen writes the C assertions of one spec.
type gen struct {
	t       *testing.T
	s       *pvspec.Spec
	b       strings.Builder
	n       int
	structs map[string]*pvspec.Struct
}

func (g *gen) assert(cond string, pos pvspec.Pos, format string, args ...any) {
	msg := fmt.Sprintf("%s:%d: %s", g.s.File, pos.Line, fmt.Sprintf(format, args...))
	fmt.Fprintf(&g.b, "_Static_assert(%s, %q);\n", cond, msg)
	g.n++
}

// cFile is a C file that includes the spec's header and asserts what the
// spec says of it, and the number of assertions.
func cFile(t *testing.T, s *pvspec.Spec, root string) (string, int) {
	g := &gen{t: t, s: s, structs: map[string]*pvspec.Struct{}}
	fmt.Fprintf(&g.b, "/* Generated by specs_test.go from %s. */\n", s.File)
	g.b.WriteString("#include <stdint.h>\n#include <stddef.h>\nvoid *memcpy(void *, const void *, size_t);\n")
	fmt.Fprintf(&g.b, "#include %q\n#include %q\n\n", filepath.Join(root, "xen/include/public/errno.h"), filepath.Join(root, s.References.Header))
	g.b.WriteString(preludes[s.ID])
	for _, st := range s.Structs {
		g.structs[st.Name] = st
	}
	for _, st := range s.Structs {
		if st.C == "" {
			continue
		}
		g.size(st)
		g.fields(st.C, "", 0, st)
	}
	for _, e := range s.Enums {
		name, ok := enumDefines[s.ID][e.Name]
		if !ok {
			continue
		}
		for _, v := range e.Values {
			if c := name(v.Name); c != "" {
				g.assert(fmt.Sprintf("%s == %d", c, v.Value), v.Pos, "%s.%s is %d", e.Name, v.Name, v.Value)
			}
		}
	}
	if d := versionDefines[s.ID]; d != "" {
		g.assert(fmt.Sprintf("%s == %d", d, s.Version), pvspec.Pos{Line: 1}, "the protocol version is %d", s.Version)
	}
	for _, o := range s.Shared {
		if d := slotDefines[s.ID][o.Name]; d != "" {
			g.assert(fmt.Sprintf("%s == %d", d, o.Slots), o.Pos, "%s has %d slots", o.Name, o.Slots)
		}
	}
	return g.b.String(), g.n
}

// size asserts a struct's size. x86_32 aligns 64-bit members to 4 bytes in
// structs, so a struct whose tail is padding of pvczar's own (a field
// named _...) may end where that padding starts there.
func (g *gen) size(st *pvspec.Struct) {
	want := st.Size
	for _, f := range st.Fields {
		if flexible[st.C+"."+f.Name] {
			want = *f.At
		}
	}
	short := want
	for i := len(st.Fields) - 1; i >= 0 && strings.HasPrefix(st.Fields[i].Name, "_"); i-- {
		short = min(short, *st.Fields[i].At)
	}
	expr := fmt.Sprintf("sizeof(struct %s)", st.C)
	if short == want {
		g.assert(fmt.Sprintf("%s == %d", expr, want), st.Pos, "struct %s takes %d bytes", st.C, want)
		return
	}
	g.b.WriteString("#if defined(__i386__)\n")
	g.assert(fmt.Sprintf("%s == %d || %s == %d", expr, want, expr, short), st.Pos, "struct %s takes %d bytes (%d on x86_32)", st.C, want, short)
	g.b.WriteString("#else\n")
	g.assert(fmt.Sprintf("%s == %d", expr, want), st.Pos, "struct %s takes %d bytes", st.C, want)
	g.b.WriteString("#endif\n")
}

// fields asserts the offset and size of every field of st (except
// pvczar's own, named _...), found in struct c under the member path
// prefix at byte base; it goes into union variants and nested structs.
func (g *gen) fields(c, prefix string, base int, st *pvspec.Struct) {
	for _, f := range st.Fields {
		if strings.HasPrefix(f.Name, "_") || f.At == nil {
			continue
		}
		member := prefix + f.Name
		at := base + *f.At
		g.assert(fmt.Sprintf("offsetof(struct %s, %s) == %d", c, member, at), f.Pos, "%s.%s is at %d", c, member, at)
		access := fmt.Sprintf("((struct %s *)0)->%s", c, member)
		switch {
		case f.Type == "union":
			g.assert(fmt.Sprintf("sizeof(%s) == %d", access, f.Size), f.Pos, "%s.%s takes %d bytes", c, member, f.Size)
			for _, v := range f.Variants {
				if body := g.structs[v.Type]; body != nil {
					g.fields(c, member+"."+v.Name+".", at, body)
				}
			}
		case f.Length != "" || flexible[st.C+"."+f.Name]:
			elem := g.sizeOf(f.Type)
			g.assert(fmt.Sprintf("sizeof(%s[0]) == %d", access, elem), f.Pos, "%s.%s holds %d-byte elements", c, member, elem)
		case g.structs[f.Type] != nil:
			size := g.structs[f.Type].Size * max(f.Count, 1)
			g.assert(fmt.Sprintf("sizeof(%s) == %d", access, size), f.Pos, "%s.%s takes %d bytes", c, member, size)
			if f.Count > 0 { // an array of structs: its first element
				member += "[0]"
			}
			g.fields(c, member+".", at, g.structs[f.Type])
		default:
			size := f.Size
			if f.Type != "bytes" {
				size = g.sizeOf(f.Type) * max(f.Count, 1)
			}
			g.assert(fmt.Sprintf("sizeof(%s) == %d", access, size), f.Pos, "%s.%s takes %d bytes", c, member, size)
		}
	}
}

// sizeOf is the size of a scalar, named type, enum or struct.
func (g *gen) sizeOf(name string) int {
	sizes := map[string]int{"u8": 1, "s8": 1, "u16": 2, "s16": 2, "u32": 4, "s32": 4, "u64": 8, "s64": 8}
	if n, ok := sizes[name]; ok {
		return n
	}
	for _, t := range g.s.Types {
		if t.Name == name {
			return sizes[t.Base]
		}
	}
	for _, e := range g.s.Enums {
		if e.Name == name {
			return sizes[e.Base]
		}
	}
	if st := g.structs[name]; st != nil {
		return st.Size
	}
	g.t.Fatalf("%s: unknown type %q", g.s.File, name)
	return 0
}
