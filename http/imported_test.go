package http_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// TestImportedFactsOnThePages: a protocol imported from xen.git shows its
// SUPPORT.md labels and caveats, its evidence commits linked to xenbits,
// and its imported moves marked as such, unlike a person's record.
func TestImportedFactsOnThePages(t *testing.T) {
	env := newTestEnv(t)
	const c1, c2 = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	since := time.Date(2017, 4, 5, 13, 0, 0, 0, time.UTC)
	moved := time.Date(2019, 10, 28, 15, 0, 0, 0, time.UTC)
	_, err := env.store.ActAll(context.Background(), []pvczar.Event{
		{Type: pvczar.EventProtocolRegistered, At: since, Actor: "czar", Source: pvczar.SourceXenPrefix + c1,
			Data: pvczar.EventData{Protocol: "displif", Title: "PV display", Commit: c1, Since: &since, Header: "xen/include/public/io/displif.h"}},
		{Type: pvczar.EventSupportImported, At: moved, Actor: "czar", Source: pvczar.SourceXenPrefix + c2, Data: pvczar.EventData{Protocol: "displif", Commit: c2, Since: &moved,
			Implementations: []pvczar.Implementation{
				{Side: "frontend", CodeBase: "linux", Name: `Linux, outside of "backend allocation" mode`, Support: "Supported", SupportNote: "with caveats", Caveat: "The frontend trusts its backend."},
				{Side: "frontend", CodeBase: "linux", Name: `Linux, "backend allocation" mode`, Support: "Experimental"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, page := env.request("GET", "/protocols/displif", "", "")
	for _, want := range []string{
		`<span class="badge badge-imported">imported</span> from xen.git <a href="https://xenbits.xen.org/gitweb/?p=xen.git;a=commit;h=` + c2 + `"><code>` + c2[:12] + `</code></a>, not a lazy-consensus decision`,
		`<q>Linux, outside of &#34;backend allocation&#34; mode</q> at <a href="https://xenbits.xen.org/gitweb/?p=xen.git;a=commit;h=` + c2,
		"Supported, with caveats",
		"The frontend trusts its backend.",
		"SUPPORT.md: the Linux frontend of displif has mixed labels in SUPPORT.md: Experimental, Supported",
		`added in <a href="https://xenbits.xen.org/gitweb/?p=xen.git;a=commit;h=` + c1,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the protocol page lacks %q", want)
		}
	}
	// A protocol a person registered shows who did.
	_, page = env.request("GET", "/protocols/testif", "", "")
	if !strings.Contains(page, "by <bdi>author</bdi>") || strings.Contains(page, "badge-imported") {
		t.Error("a person's record is shown as imported, or without its author")
	}
	_, board := env.request("GET", "/", "", "")
	if !strings.Contains(board, "frontend: Supported") || !strings.Contains(board, "frontend: Experimental") || !strings.Contains(board, "badge-support-md") {
		t.Error("the board lacks displif's labels or its SUPPORT.md badge")
	}
	if _, queue := env.request("GET", "/queue", "", ""); !strings.Contains(queue, "SUPPORT.md disagrees") || !strings.Contains(queue, `href="/protocols/displif"`) {
		t.Error("the queue lacks displif under SUPPORT.md disagrees")
	}
	if _, digest := env.request("GET", "/digest.txt", "", ""); !strings.Contains(digest, "SUPPORT.md disagrees") {
		t.Errorf("the digest lacks SUPPORT.md's disagreement:\n%s", digest)
	}
}
