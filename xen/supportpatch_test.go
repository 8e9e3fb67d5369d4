package xen_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/xen"
)

// The patches below are written for these tests in the shape of
// `git format-patch` mails to xen-devel; section names, entry titles and
// labels are SUPPORT.md's, no text is xen.git's.

// pvcallsPatch moves the PV Calls backend of Linux to Supported; the
// hunk shows the entry's heading.
const pvcallsPatch = `The backend has been in use for two releases now; mark it supported.

Signed-off-by: Dana Example <dana@example.org>
---
 SUPPORT.md | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/SUPPORT.md b/SUPPORT.md
index 1111111111..2222222222 100644
--- a/SUPPORT.md
+++ b/SUPPORT.md
@@ -740,9 +740,9 @@ Host-side driver for the Xen 9pfs protocol
 
 ### PVCalls (backend)
 
-    Status, Linux: Experimental
+    Status, Linux: Supported
 
 ### PV TPM (backend)
 
     Status: Tech Preview
 
-- 
2.43.0
`

// frontendPatch changes two entries of the guest side: the frontend of
// PV Calls, whose heading is out of the hunk (its description says the
// side), and a line added to PV sound, under its heading.
const frontendPatch = `Signed-off-by: Dana Example <dana@example.org>
---
diff --git a/SUPPORT.md b/SUPPORT.md
--- a/SUPPORT.md
+++ b/SUPPORT.md
@@ -656,7 +656,7 @@ Guest-side driver capable of speaking the Xen 9pfs protocol
 
 Guest-side driver capable of speaking the Xen PV Calls protocol
 
-    Status, Linux: Tech Preview
+    Status, Linux: Supported
 
 ### PV sound (frontend)
 
@@ -664,6 +664,7 @@ Guest-side driver capable of speaking the Xen PV Calls protocol
 Guest-side driver capable of speaking the Xen PV sound protocol
 
     Status, Linux: Supported, with caveats
+    Status, FreeBSD: Experimental
 
 ### Something else
 
`

func TestSupportPatch(t *testing.T) {
	for _, tc := range []struct {
		name, subject, body string
		want                []xen.StatusChange
	}{
		{"backend", "[PATCH] SUPPORT.md: PVCalls backend is supported", pvcallsPatch, []xen.StatusChange{
			{Line: 17, LabelChange: pvczar.LabelChange{Protocol: "pvcalls", Entry: "PVCalls (backend)", Implementation: "linux-backend", Side: "backend", Name: "Linux", From: "Experimental", To: "Supported"}},
		}},
		{"two hunks", "[PATCH v2 2/3] SUPPORT.md: guest side", frontendPatch, []xen.StatusChange{
			{Line: 11, LabelChange: pvczar.LabelChange{Protocol: "pvcalls", Entry: "Guest-side driver capable of speaking the Xen PV Calls protocol", Implementation: "linux-frontend", Side: "frontend", Name: "Linux", From: "Tech Preview", To: "Supported"}},
			{Line: 19, LabelChange: pvczar.LabelChange{Protocol: "sndif", Entry: "Guest-side driver capable of speaking the Xen PV sound protocol", Implementation: "freebsd-frontend", Side: "frontend", Name: "FreeBSD", To: "Experimental"}},
		}},
		{"a reply quoting the patch", "Re: [PATCH] SUPPORT.md: PVCalls backend is supported", pvcallsPatch, nil},
		{"not a patch", "PVCalls backend", pvcallsPatch, nil},
		{"another file", "[PATCH] docs: typo", strings.ReplaceAll(pvcallsPatch, "SUPPORT.md", "docs/README.md"), nil},
		{"outside the PV sections", "[PATCH] SUPPORT.md: Argo", `---
diff --git a/SUPPORT.md b/SUPPORT.md
--- a/SUPPORT.md
+++ b/SUPPORT.md
@@ -845,6 +845,6 @@
 ## Virtual Hardware, Hypervisor
 
 ### Argo: Inter-domain message delivery by hypercall
 
-    Status: Experimental
+    Status: Tech Preview
 
`, nil},
		{"only the note changes", "[PATCH] SUPPORT.md: caveats", `---
--- a/SUPPORT.md
+++ b/SUPPORT.md
@@ -10,3 +10,3 @@
 ### PVCalls (frontend)
-    Status, Linux: Supported
+    Status, Linux: Supported, with caveats
`, nil},
		{"a heading in the hunk header", "[XEN PATCH] SUPPORT.md: 9pfs daemon", `---
--- a/SUPPORT.md
+++ b/SUPPORT.md
@@ -740,3 +740,3 @@ ### PV 9pfs (backend)
     Status, QEMU: Tech Preview
-    Status, xen-9pfsd: Experimental
+    Status, xen-9pfsd: Tech Preview
 
`, []xen.StatusChange{
			{Line: 7, LabelChange: pvczar.LabelChange{Protocol: "9pfs", Entry: "PV 9pfs (backend)", Implementation: "xen-tools-backend-xen-9pfsd", Side: "backend", Name: "xen-9pfsd", From: "Experimental", To: "Tech Preview"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := xen.SupportPatch(tc.subject, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSupportPatchMangled: a mangled diff is an error naming the line of
// the mail, never a panic or a guess.
func TestSupportPatchMangled(t *testing.T) {
	const head = "---\n--- a/SUPPORT.md\n+++ b/SUPPORT.md\n"
	for _, tc := range []struct{ name, body, want string }{
		{"bad hunk header", head + "@@ -740,x +740 @@\n ### PVCalls (backend)\n", "patch line 4: bad hunk header"},
		{"counts too large", head + "@@ -1,5 +1,5 @@\n ### PVCalls (backend)\n-    Status, Linux: Experimental\n+    Status, Linux: Supported\nSigned-off-by: x\n", "patch line 8: the hunk of line 4 ends after 2 of its 5 old lines"},
		{"counts too small", head + "@@ -1,1 +1,1 @@\n ### PVCalls (backend)\n-    Status, Linux: Experimental\n+    Status, Linux: Supported\n", "patch line 6: the hunk of line 4 has more lines than its header counts"},
		{"truncated", head + "@@ -1,4 +1,4 @@\n ### PVCalls (backend)\n \n-    Status, Linux: Experimental", "patch line 4: the hunk is truncated"},
		{"a label that is none", head + "@@ -1,2 +1,2 @@\n ### PVCalls (backend)\n-    Status, Linux: Experimental\n+    Status, Linux: Supportd\n", `patch line 7: unknown label "Supportd"`},
		{"out of order", head + "@@ -9,1 +9,1 @@\n-    Status: Supported\n+    Status: Experimental\n@@ -3,1 +3,1 @@\n x\n", "patch line 7: hunk starts at old line 3"},
		{"huge numbers", head + "@@ -99999999999999999999 +1 @@\n", "patch line 4: hunk header line number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := xen.SupportPatch("[PATCH] SUPPORT.md: x", tc.body)
			if err == nil || !strings.Contains(err.Error(), tc.want) || pvczar.ErrorCode(err) != pvczar.EINVALID {
				t.Fatalf("got %v, want an invalid-input error with %q", err, tc.want)
			}
		})
	}
}

func TestCandidateEvent(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	m := xen.CandidateMail{MessageID: "20260302100000.1-1-dana@example.org", Subject: "[PATCH] SUPPORT.md: PVCalls backend is supported",
		Body: pvcallsPatch, FromName: "Dana Example", FromEmail: "dana@example.org", Date: at}
	ev, ok, err := xen.CandidateEvent(m)
	if err != nil || !ok {
		t.Fatalf("CandidateEvent: %v %v", ok, err)
	}
	if ev.Type != pvczar.EventSupportCandidate || ev.Source != "mail:"+m.MessageID || ev.Key != pvczar.CandidateKey(m.MessageID) || !ev.At.Equal(at) || len(ev.Data.Changes) != 1 {
		t.Errorf("event %+v", ev)
	}
	m.Subject = "Re: " + m.Subject
	if _, ok, err := xen.CandidateEvent(m); ok || err != nil {
		t.Errorf("a reply is a candidate: %v %v", ok, err)
	}
	m.Subject, m.Body = "[PATCH] SUPPORT.md: x", "--- a/SUPPORT.md\n+++ b/SUPPORT.md\n@@ -1 +1 @\n"
	if _, ok, err := xen.CandidateEvent(m); ok || err == nil {
		t.Errorf("a mangled patch: %v %v", ok, err)
	}
}

func TestPatchTitle(t *testing.T) {
	for in, want := range map[string]string{
		"[PATCH v3 2/4] SUPPORT.md: PVCalls backend is supported": "SUPPORT.md: PVCalls backend is supported",
		"[XEN PATCH] [for-4.21]  SUPPORT.md:  x":                  "SUPPORT.md: x",
		"SUPPORT.md: x":                                           "SUPPORT.md: x",
	} {
		if got := xen.PatchTitle(in); got != want {
			t.Errorf("PatchTitle(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSupportPatch(f *testing.F) {
	f.Add("[PATCH] SUPPORT.md: x", pvcallsPatch)
	f.Add("[PATCH v2 2/3] SUPPORT.md: y", frontendPatch)
	f.Add("[PATCH] SUPPORT.md", "+++ b/SUPPORT.md\n@@ -0,0 +1,2 @@\n+### PVCalls (backend)\n+    Status, Linux: Supported\n")
	f.Add("[PATCH] SUPPORT.md", "+++ b/SUPPORT.md\n@@ -1 +1 @@ ## Virtual device support, host side\n-\tStatus, QEMU: Supported\n+\tStatus: Deprecated\n\\ No newline at end of file\n")
	f.Fuzz(func(t *testing.T, subject, body string) {
		changes, err := xen.SupportPatch(subject, body)
		if err != nil {
			if pvczar.ErrorCode(err) != pvczar.EINVALID || !strings.HasPrefix(err.Error(), "patch line ") {
				t.Fatalf("an error that is not invalid input naming a line: %v", err)
			}
			return
		}
		for _, c := range changes {
			if c.From == c.To || c.Line < 1 || c.Side == "" || c.Implementation == "" {
				t.Fatalf("a change that changes nothing or says not where: %+v", c)
			}
		}
	})
}

// TestSupportPatchSubjects: a patch is known by mail/patch's reading of
// its subject, list tags and glued versions included; a reply is not one.
func TestSupportPatchSubjects(t *testing.T) {
	for subject, want := range map[string]bool{
		"[Xen-devel] [PATCH] SUPPORT.md: PV Foo backend": true,
		"[PATCHv2] SUPPORT.md: PV Foo backend":           true,
		"[XEN PATCH for-4.20 v3] SUPPORT.md: PV Foo":     true,
		"Re: [PATCH] SUPPORT.md: PV Foo backend":         false,
		"[RFC] SUPPORT.md: PV Foo backend":               false,
	} {
		changes, err := xen.SupportPatch(subject, fooPatch)
		if err != nil || (len(changes) > 0) != want {
			t.Errorf("%q: %d changes, %v; want a patch: %v", subject, len(changes), err, want)
		}
	}
}
