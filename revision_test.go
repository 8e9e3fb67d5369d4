package pvczar_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// Two stable patch-ids: the patch as first posted, and changed.
var (
	idA = strings.Repeat("a1", 20)
	idB = strings.Repeat("b2", 20)
)

// fromMail records a command read from the mail messageID, with the key
// mail ingest gives it.
func (s *scenario) fromMail(when time.Time, actor string, typ pvczar.EventType, d pvczar.EventData, messageID string) (pvczar.Event, error) {
	return s.act(pvczar.Event{Type: typ, At: when, Actor: actor, Source: pvczar.SourceMailPrefix + messageID,
		Key: pvczar.SourceMailPrefix + messageID + "/1", Data: d})
}

// revise records that pvfoo-1's patch is at version with patchID, posted
// by alice in the mail messageID.
func (s *scenario) revise(when time.Time, version int, patchID, messageID string) pvczar.Event {
	s.t.Helper()
	e, err := s.fromMail(when, "alice", pvczar.EventPatchRevised, pvczar.EventData{Proposal: "pvfoo-1", PatchVersion: version, PatchID: patchID, MessageID: messageID}, messageID)
	if err != nil {
		s.t.Fatalf("v%d: %v", version, err)
	}
	return e
}

// ackOn records who's ack of pvfoo-1 given on version of its patch, in the
// mail messageID.
func (s *scenario) ackOn(when time.Time, who string, version int, messageID string) error {
	_, err := s.fromMail(when, who, pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck, PatchVersion: version}, messageID)
	return err
}

func notCounted(q pvczar.Quorum) map[string]string {
	out := map[string]string{}
	for _, u := range q.NotCounted {
		out[u.Author] = u.Why
	}
	return out
}

// TestVersionAwareQuorum: an ack given on v1 carries to v2 when the patch
// is unchanged (same patch-id) and says so; it stops counting when v3
// changes the patch; an ack on the series' cover letter counts with the
// series' version; a late reply to an old version does not take back an
// ack on a newer one; an ack given on no patch counts as before.
func TestVersionAwareQuorum(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	e := s.revise(at(1, 0), 1, idA, "v1@example.org")
	if e.Stream != pvczar.ProtocolStream("pvfoo") {
		t.Fatalf("patch.revised in stream %q: the quorum it changes is the protocol's, and so is its ETag", e.Stream)
	}
	if err := s.ackOn(at(1, 1), "carol", 1, "carol-v1@example.org"); err != nil {
		t.Fatal(err)
	}
	pr := s.proposal("pvfoo-1", at(1, 2))
	if pos := pr.Positions[0]; pos.MessageID != "carol-v1@example.org" || pos.Version != 1 {
		t.Fatalf("the ack's provenance: %+v", pos)
	}
	if !pr.Quorum.Met() || len(pr.Quorum.Carried) != 0 {
		t.Fatalf("an ack on the current version: %+v", pr.Quorum)
	}

	// v2 is v1 rebased: the same patch-id. Carol's ack carries over.
	s.revise(at(2, 0), 2, idA, "v2@example.org")
	pr = s.proposal("pvfoo-1", at(2, 1))
	want := pvczar.CarriedAck{Author: "carol", Version: 1, To: 2, MessageID: "carol-v1@example.org"}
	if !pr.Quorum.Met() || len(pr.Quorum.Carried) != 1 || pr.Quorum.Carried[0] != want || pr.CarriedTo(pr.Positions[0]) != 2 {
		t.Fatalf("an ack on an unchanged patch: %+v", pr.Quorum)
	}
	// Dave acks v2 by replying to its cover letter: ingest records the
	// series' version.
	if err := s.ackOn(at(2, 2), "dave", 2, "dave-cover-v2@example.org"); err != nil {
		t.Fatal(err)
	}

	// v3 changes the patch: neither ack counts any more.
	s.revise(at(3, 0), 3, idB, "v3@example.org")
	pr = s.proposal("pvfoo-1", windowCloses)
	nc := notCounted(pr.Quorum)
	if pr.Quorum.Have != 0 || pr.Ready || nc["carol"] != "given on v1; the patch changed in v3" || nc["dave"] != "given on v2; the patch changed in v3" {
		t.Fatalf("acks on a changed patch: %+v", pr.Quorum)
	}
	if p := pr.Patch(); p == nil || p.Version != 3 || p.PatchID != idB || p.MessageID != "v3@example.org" || p.By != "alice" {
		t.Fatalf("the current version: %+v", p)
	}

	// Carol acks v3; later she answers v1's thread again: her v3 ack stands.
	if err := s.ackOn(at(3, 1), "carol", 3, "carol-v3@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := s.ackOn(at(3, 2), "carol", 1, "carol-late@example.org"); err != nil {
		t.Fatal(err)
	}
	// Dave acks on the web, on no patch: that counts whatever the version.
	s.must(at(3, 3), "dave", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck})
	pr = s.proposal("pvfoo-1", windowCloses)
	if pr.Quorum.Have != 2 || len(pr.Quorum.NotCounted) != 0 || len(pr.Quorum.Carried) != 0 || !pr.Ready {
		t.Fatalf("acks on v3 and on no patch: %+v", pr.Quorum)
	}

	// Replay gives the same state, with no anomaly.
	state := func(reg *pvczar.Registry) []byte {
		reg.AdvanceTo(windowCloses)
		var b bytes.Buffer
		if err := json.NewEncoder(&b).Encode(reg); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	replayed := pvczar.Replay(def, s.log)
	if len(replayed.Anomalies) != 0 {
		t.Fatalf("anomalies: %v", replayed.Anomalies)
	}
	if a, b := state(replayed), state(pvczar.Replay(def, s.log)); !bytes.Equal(a, b) || !bytes.Equal(a, state(s.reg)) {
		t.Fatal("the registry from the log differs from the one built as the events came")
	}
}

// TestAckOnMissingVersion: an ack given on a version of the patch that
// does not exist is refused with a message that says so (ingest lists it
// as not applied); so is one on a proposal with no version recorded.
func TestAckOnMissingVersion(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	err := s.ackOn(at(1, 0), "carol", 1, "early@example.org")
	if pvczar.ErrorCode(err) != pvczar.ECONFLICT || !strings.Contains(err.Error(), "no version") {
		t.Fatalf("an ack on v1 before any version: %v", err)
	}
	s.revise(at(1, 1), 1, idA, "v1@example.org")
	s.revise(at(1, 2), 2, idB, "v2@example.org")
	err = s.ackOn(at(1, 3), "carol", 5, "v5@example.org")
	if pvczar.ErrorCode(err) != pvczar.ECONFLICT || !strings.Contains(err.Error(), "v5 of the patch of pvfoo-1, which does not exist: its latest version is v2") {
		t.Fatalf("an ack on v5: %v", err)
	}
	if err := s.ackOn(at(1, 3), "carol", -1, "neg@example.org"); pvczar.ErrorCode(err) != pvczar.EINVALID || !strings.Contains(err.Error(), "patch_version") {
		t.Fatalf("an ack on v-1: %v", err)
	}
	if q := s.proposal("pvfoo-1", at(1, 4)).Quorum; q.Have != 0 || len(q.NotCounted) != 0 {
		t.Fatalf("a refused ack left a trace: %+v", q)
	}
}

// TestPatchRevisedRules: only mail makes a patch.revised; the version must
// be new; the sender may be no pvczar user.
func TestPatchRevisedRules(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	revision := pvczar.EventData{Proposal: "pvfoo-1", PatchVersion: 2, PatchID: idA, MessageID: "v2@example.org"}
	s.fails(pvczar.EINVALID, at(1, 0), "alice", pvczar.EventPatchRevised, revision) // from the CLI
	if _, err := s.fromMail(at(1, 0), "eve", pvczar.EventPatchRevised, revision, "v2@example.org"); pvczar.ErrorCode(err) != pvczar.EINVALID {
		t.Fatalf("an unknown actor: %v", err)
	}
	if _, err := s.fromMail(at(1, 0), pvczar.ActorMail, pvczar.EventPatchRevised, revision, "v2@example.org"); err != nil {
		t.Fatalf("a sender pvczar does not know: %v", err)
	}
	for name, c := range map[string]struct {
		d    pvczar.EventData
		code string
		says string
	}{
		"again":         {revision, pvczar.ECONFLICT, "recorded already"},
		"changed, same": {pvczar.EventData{Proposal: "pvfoo-1", PatchVersion: 2, PatchID: idB, MessageID: "v2b@example.org"}, pvczar.ECONFLICT, "needs a new version"},
		"older":         {pvczar.EventData{Proposal: "pvfoo-1", PatchVersion: 1, PatchID: idB, MessageID: "v1@example.org"}, pvczar.ECONFLICT, "older than v2"},
		"v0":            {pvczar.EventData{Proposal: "pvfoo-1", PatchVersion: 0, PatchID: idB, MessageID: "v0@example.org"}, pvczar.EINVALID, "patch_version"},
		"bad id":        {pvczar.EventData{Proposal: "pvfoo-1", PatchVersion: 3, PatchID: "xyz", MessageID: "v3@example.org"}, pvczar.EINVALID, "patch_id"},
		"no proposal":   {pvczar.EventData{Proposal: "pvfoo-9", PatchVersion: 3, PatchID: idB, MessageID: "v3@example.org"}, pvczar.ENOTFOUND, "pvfoo-9"},
	} {
		_, err := s.fromMail(at(1, 1), "alice", pvczar.EventPatchRevised, c.d, c.d.MessageID)
		if pvczar.ErrorCode(err) != c.code || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want %s saying %q", name, err, c.code, c.says)
		}
	}
	e := s.revise(at(1, 2), 3, idB, "v3@example.org")
	if d := e.Describe(); d != "the patch of pvfoo-1 is at v3 (patch-id b2b2b2b2b2b2, mail v3@example.org)" {
		t.Errorf("Describe: %s", d)
	}
	s.must(at(1, 3), "alice", pvczar.EventProposalWithdrawn, pvczar.EventData{Proposal: "pvfoo-1"})
	if _, err := s.fromMail(at(1, 4), "alice", pvczar.EventPatchRevised, pvczar.EventData{Proposal: "pvfoo-1", PatchVersion: 4, PatchID: idA, MessageID: "v4@example.org"}, "v4@example.org"); pvczar.ErrorCode(err) != pvczar.ECONFLICT {
		t.Fatalf("a version of a withdrawn proposal's patch: %v", err)
	}
}

// TestPatchRevisedFromItsAuthor: a later version counts only from the
// address that posted the patch, as b4 links versions by their author:
// someone else's "[PATCH v9]" in the thread does not void the acks.
func TestPatchRevisedFromItsAuthor(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	revise := func(when time.Time, version int, id, from string) error {
		msg := fmt.Sprintf("v%d.%s", version, from)
		_, err := s.fromMail(when, pvczar.ActorMail, pvczar.EventPatchRevised, pvczar.EventData{Proposal: "pvfoo-1", PatchVersion: version, PatchID: id, MessageID: msg, Email: from}, msg)
		return err
	}
	if err := revise(at(1, 0), 1, idA, "dan@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := revise(at(1, 1), 9, idB, "mallory@example.net"); pvczar.ErrorCode(err) != pvczar.ECONFLICT || !strings.Contains(err.Error(), "comes from mallory@example.net, not from dan@example.org") {
		t.Fatalf("someone else's version: %v", err)
	}
	if err := revise(at(1, 2), 2, idB, "Dan@Example.org"); err != nil {
		t.Fatalf("the author's next version, the address in another case: %v", err)
	}
	if v := s.proposal("pvfoo-1", at(1, 3)).Patch(); v.Version != 2 || v.From != "Dan@Example.org" {
		t.Errorf("the current version: %+v", v)
	}
}

// TestPositionMessageIDOnlyFromMail: only a position read from mail has a
// Message-ID (the page links it on lore); one said on the API has none
// (the page linked "lore.kernel.org/xen-devel/api/").
func TestPositionMessageIDOnlyFromMail(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	s.must(at(1, 0), "carol", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck})
	if _, err := s.fromMail(at(1, 1), "bob", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionReview}, "rev@example.org"); err != nil {
		t.Fatal(err)
	}
	pos := s.proposal("pvfoo-1", at(1, 2)).Positions
	if len(pos) != 2 || pos[0].MessageID != "" || pos[1].MessageID != "rev@example.org" {
		t.Errorf("positions %+v", pos)
	}
}
