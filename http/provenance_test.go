package http_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// TestProposalPageShowsAckProvenance: the proposal page links each ack
// read from mail to its message on lore, says which version of the patch
// it was given on, and which acks carried over from an earlier version
// because the patch did not change; an ack on a changed patch is listed
// as not counted, with the version it changed in.
func TestProposalPageShowsAckProvenance(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	at := testStart.Add(-2 * pvczar.Day)
	fromMail := func(actor string, typ pvczar.EventType, d pvczar.EventData, messageID string) {
		t.Helper()
		at = at.Add(time.Hour)
		d.Proposal = "testif-1"
		if _, err := env.store.Act(ctx, pvczar.Event{Type: typ, At: at, Actor: actor, Source: pvczar.SourceMailPrefix + messageID,
			Key: pvczar.SourceMailPrefix + messageID + "/1", Data: d}); err != nil {
			t.Fatalf("%s from %s: %v", typ, messageID, err)
		}
	}
	same, changed := strings.Repeat("ab", 20), strings.Repeat("cd", 20)
	fromMail("author", pvczar.EventPatchRevised, pvczar.EventData{PatchVersion: 1, PatchID: same, MessageID: "v1-0@example.org"}, "v1-0@example.org")
	fromMail("maint", pvczar.EventPositionRecorded, pvczar.EventData{Kind: pvczar.PositionAck, PatchVersion: 1}, "maint-ack@example.org")
	fromMail("czar", pvczar.EventPositionRecorded, pvczar.EventData{Kind: pvczar.PositionAck, PatchVersion: 1}, "czar-ack@example.org")
	fromMail("author", pvczar.EventPatchRevised, pvczar.EventData{PatchVersion: 2, PatchID: same, MessageID: "v2-0@example.org"}, "v2-0@example.org")

	_, page := env.request("GET", "/proposals/testif-1", "", "")
	for _, want := range []string{
		`The patch is at <b>v2</b> (patch-id <code>abababababab</code>, <a href="https://lore.kernel.org/xen-devel/v2-0@example.org/">its mail</a>)`,
		`<a href="https://lore.kernel.org/xen-devel/maint-ack@example.org/">mail</a></td><td>v1, carried over to v2</td>`,
		`The ack of <bdi>maint</bdi> (<a href="https://lore.kernel.org/xen-devel/maint-ack@example.org/">its mail</a>) carried over from v1 to v2: the patch is unchanged.`,
		`Quorum: <b>2 of 1</b>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s:\n%s", want, page)
		}
	}

	fromMail("author", pvczar.EventPatchRevised, pvczar.EventData{PatchVersion: 3, PatchID: changed, MessageID: "v3-0@example.org"}, "v3-0@example.org")
	fromMail("czar", pvczar.EventPositionRecorded, pvczar.EventData{Kind: pvczar.PositionAck, PatchVersion: 3}, "czar-v3@example.org")
	_, page = env.request("GET", "/proposals/testif-1", "", "")
	for _, want := range []string{
		`The ack of <bdi>maint</bdi> does not count: given on v1; the patch changed in v3.`,
		`<a href="https://lore.kernel.org/xen-devel/czar-v3@example.org/">mail</a></td><td>v3</td>`,
		`Quorum: <b>1 of 1</b>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("after v3 the page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "carried over") {
		t.Errorf("an ack carried over a changed patch:\n%s", page)
	}
}
