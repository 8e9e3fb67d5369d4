package patch_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/mail/patch"
)

// TestParseSubject: the subject shapes of real list traffic.
func TestParseSubject(t *testing.T) {
	for subject, want := range map[string]patch.Subject{
		"[PATCH v3 2/5] xen/pvcalls: fix the ring":            {Prefix: "PATCH", Version: 3, Index: 2, Total: 5, Title: "xen/pvcalls: fix the ring"},
		"[RFC PATCH] pvcalls: a new design":                   {Prefix: "RFC PATCH", RFC: true, Version: 1, Title: "pvcalls: a new design"},
		"[PATCH RESEND v2] SUPPORT.md: PV Calls is supported": {Prefix: "PATCH RESEND", Resend: true, Version: 2, Title: "SUPPORT.md: PV Calls is supported"},
		"[XEN PATCH v2 for-4.19 1/3] tools: fix":              {Prefix: "XEN PATCH FOR-4.19", Version: 2, Index: 1, Total: 3, Title: "tools: fix"},
		"Re: [Xen-devel] [PATCH V5 00/12] virtio: cover":      {Reply: true, Prefix: "PATCH", Version: 5, Total: 12, Title: "virtio: cover"},
		"RE: Re: [PATCH 01/19] drm: Add":                      {Reply: true, Prefix: "PATCH", Version: 1, Index: 1, Total: 19, Title: "drm: Add"},
		"[PATCHv2 1/3] net: thing":                            {Prefix: "PATCH", Version: 2, Index: 1, Total: 3, Title: "net: thing"},
		"[RFC-PATCH] vsock: idea":                             {Prefix: "RFC-PATCH", RFC: true, Version: 1, Title: "vsock: idea"},
		"[net-next V3 2/2] virtio_net: x":                     {Prefix: "NET-NEXT", Version: 3, Index: 2, Total: 2, Title: "virtio_net: x"},
		"[PATCH AUTOSEL 5.2 3/9] drm: y":                      {Prefix: "PATCH AUTOSEL 5.2", Version: 1, Index: 3, Total: 9, Title: "drm: y"},
		"[RFC v2] design: z":                                  {Prefix: "RFC", RFC: true, Version: 2, Title: "design: z"},
		"  [PATCH]   trailing   ":                             {Prefix: "PATCH", Version: 1, Title: "trailing"},
	} {
		got, err := patch.ParseSubject(subject)
		if err != nil || got != want {
			t.Errorf("%q:\n got %+v (%v)\nwant %+v", subject, got, err, want)
		}
	}
	if s, _ := patch.ParseSubject("[PATCH 0/3] cover"); !s.CoverLetter() {
		t.Error("0/3 is a cover letter")
	}
	if s, _ := patch.ParseSubject("[PATCH] lone"); s.CoverLetter() {
		t.Error("a lone patch is no cover letter")
	}
	for _, subject := range []string{"Re: ring sizes", "[Xen-devel] ring sizes", "[PULL] vhost: fixes", ""} {
		if _, err := patch.ParseSubject(subject); !errors.Is(err, patch.ErrNotPatch) {
			t.Errorf("%q: %v, want ErrNotPatch", subject, err)
		}
	}
	for subject, reason := range map[string]string{
		"[PATCH 6/5] past":                   "past the end",
		"[PATCH 1/0] none":                   "no patch",
		"[PATCH v0] zero":                    "version v0",
		"[PATCH v2 v3] two":                  "two versions",
		"[PATCH 1/2 2/2] two parts":          "two parts",
		"[PATCH v2 1/3":                      "never closes",
		"[PATCH v2 1/3]":                     "nothing follows",
		"[PATCH v99999] big":                 "version v99999",
		"[PATCH 1/99999999999999999999] big": "at most",
	} {
		_, err := patch.ParseSubject(subject)
		var se *patch.SubjectError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), reason) {
			t.Errorf("%q: %v, want a SubjectError saying %q", subject, err, reason)
		}
	}
}

// TestSubjectPatch: an RFC alone is no patch; every other shape of a
// patch's tags is.
func TestSubjectPatch(t *testing.T) {
	for subject, want := range map[string]bool{
		"[RFC] PV Calls protocol":               false,
		"[RFC PATCH v2 0/3] xen: add pvfoo":     true,
		"[XEN PATCH for-4.19 v2 1/3] x86: fix":  true,
		"Re: [PATCH] SUPPORT.md: PV Foo":        true,
		"[PATCHv3 2/2] tools: a glued version":  true,
		"[Xen-devel] [RFC] a design discussion": false,
	} {
		s, err := patch.ParseSubject(subject)
		if err != nil {
			t.Fatalf("%q: %v", subject, err)
		}
		if s.Patch() != want {
			t.Errorf("%q: Patch() = %v, want %v (prefix %q)", subject, s.Patch(), want, s.Prefix)
		}
	}
}
