package patch_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/mail/patch"
)

// FuzzSubject: any subject parses, is no patch, or is a SubjectError;
// what parses is consistent; never a panic.
func FuzzSubject(f *testing.F) {
	for _, seed := range []string{"[PATCH v3 2/5] x", "Re: [Xen-devel] [XEN PATCH v2 for-4.19 0/3] y", "[RFC-PATCH] z", "[PATCHv2 1/2] a",
		"[PATCH 6/5] b", "[PATCH v2 1/3", "[", "[]", "Re:Re:", "[PATCH 1/99999999999999999999999] c", "[PATCH-v] d", "[v1 1/1]"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, subject string) {
		s, err := patch.ParseSubject(subject)
		var se *patch.SubjectError
		switch {
		case errors.Is(err, patch.ErrNotPatch), errors.As(err, &se):
			return
		case err != nil:
			t.Fatalf("%q: an error of no known kind: %v", subject, err)
		}
		if s.Version < 1 || s.Version > patch.MaxNumber || s.Index < 0 || s.Index > s.Total || s.Total > patch.MaxNumber || s.Title == "" {
			t.Fatalf("%q: inconsistent %+v", subject, s)
		}
	})
}

// FuzzPatchID: any body gives a 40-digit id, ErrNoDiff or a DiffError
// that names a line of the body; never a panic.
func FuzzPatchID(f *testing.F) {
	for _, seed := range []string{
		"diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n \n-b\n+B\n-- \n2.39.5\n",
		"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n\\ No newline at end of file\n",
		"diff --git a/b b/b\nindex 1..2\nBinary files a/b and b/b differ\ndiff --git a/c b/c\n",
		"diff --git a/x b/x\n--- a/x\n@@ -1 +1 @@\n", "diff \n", "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -\n",
		"diff --git a/x b/x\nindex ..\n", "diff --git a/x b/x\r\n--- a/x\r\n+++ b/x\r\n@@ -1,1 +1,1 @@\r\n-a\r\n+b\r\n",
		"no diff at all", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		id, err := patch.ID(body)
		var de *patch.DiffError
		switch {
		case err == nil:
			if len(id) != 40 || strings.Trim(id, "0123456789abcdef") != "" {
				t.Fatalf("id %q", id)
			}
		case errors.Is(err, patch.ErrNoDiff):
		case errors.As(err, &de):
			if lines := strings.Count(body, "\n") + 1; de.Line < 1 || de.Line > lines {
				t.Fatalf("line %d of a body of %d lines: %v", de.Line, lines, err)
			}
		default:
			t.Fatalf("an error of no known kind: %v", err)
		}
	})
}
