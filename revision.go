package pvczar

import (
	"fmt"
	"strings"
	"time"
)

// MaxPatchVersion bounds the version of a proposal's patch.
const MaxPatchVersion = 9999

// Revision is one version of the patch a proposal follows (a SUPPORT.md
// patch, a design document's series), as a patch.revised recorded it.
// Trailers work as b4 carries them: an ack given on version K counts for
// the current version N when K is N, or when K's patch-id is N's (the
// patch was posted again unchanged); otherwise the patch changed under it
// and it no longer counts.
type Revision struct {
	Version   int    `json:"version"`
	PatchID   string `json:"patch_id"`   // stable patch-id, as git patch-id --stable computes it
	MessageID string `json:"message_id"` // the mail that posted it
	// Title is the patch's subject after its tags: a later version in a
	// thread of its own is known by it, and by its sender, as b4 does.
	Title string `json:"title,omitempty"`
	// From is the address that posted it: a later version counts only
	// from the same address.
	From string    `json:"from,omitempty"`
	By   string    `json:"by"` // its sender: their pvczar name, or ActorMail
	At   time.Time `json:"at"`
}

// CarriedAck is an ack given on an earlier version of the patch that counts
// for the current one, the patch being unchanged.
type CarriedAck struct {
	Author    string `json:"author"`
	Version   int    `json:"version"`    // the version it was given on
	To        int    `json:"to"`         // the current version it counts for
	MessageID string `json:"message_id"` // the mail it was given in
}

// Patch returns the current version of the proposal's patch, or nil when
// none is recorded.
func (pr *Proposal) Patch() *Revision {
	if len(pr.Revisions) == 0 {
		return nil
	}
	return &pr.Revisions[len(pr.Revisions)-1]
}

// CarriedTo returns the version an ack was carried over to, or 0 when it
// counts on the version it was given on, or does not count.
func (pr *Proposal) CarriedTo(pos Position) int {
	for _, c := range pr.Quorum.Carried {
		if c.Author == pos.Author && c.Version == pos.Version && c.MessageID == pos.MessageID {
			return c.To
		}
	}
	return 0
}

func (pr *Proposal) revision(version int) *Revision {
	for i := range pr.Revisions {
		if pr.Revisions[i].Version == version {
			return &pr.Revisions[i]
		}
	}
	return nil
}

// ackOnVersion says whether a standing ack counts for the patch's current
// version: why it does not, or, when it counts by being carried over from
// an earlier version, how. An ack given on no patch counts as it is.
func (pr *Proposal) ackOnVersion(pos Position) (*CarriedAck, string) {
	cur := pr.Patch()
	if pos.Version == 0 || cur == nil || pos.Version == cur.Version {
		return nil, ""
	}
	given := pr.revision(pos.Version)
	if given == nil {
		return nil, fmt.Sprintf("given on v%d, which pvczar has no record of; the patch is at v%d", pos.Version, cur.Version)
	}
	if given.PatchID == cur.PatchID {
		return &CarriedAck{Author: pos.Author, Version: pos.Version, To: cur.Version, MessageID: pos.MessageID}, ""
	}
	changed := cur.Version
	for _, rv := range pr.Revisions {
		if rv.Version > given.Version && rv.PatchID != given.PatchID {
			changed = rv.Version
			break
		}
	}
	return nil, fmt.Sprintf("given on v%d; the patch changed in v%d", pos.Version, changed)
}

// laterAckOnOlderPatch reports whether pos, logged after old, is an ack on
// an older version of the patch than old's ack: a late reply to v1 after
// the same person acked v2 does not take the v2 ack back.
func laterAckOnOlderPatch(old, pos Position) bool {
	return old.Kind == PositionAck && pos.Kind == PositionAck && pos.Version > 0 && pos.Version < old.Version
}

// revisionActor checks the actor of a patch.revised: the patch's sender,
// who may be no pvczar user (ActorMail).
func (r *Registry) revisionActor(name string) error {
	if name != ActorMail && r.Users[name] == nil {
		return Errorf(EINVALID, "actor %q: a patch.revised is made by a pvczar user or by %q for a sender pvczar does not know", name, ActorMail)
	}
	return nil
}

// decideRevision checks a patch.revised: only mail ingest makes one, from
// the mail that posted the version, for an open proposal, with a version
// newer than the latest recorded.
func decideRevision(cmd *Event, p *Protocol) error {
	d := &cmd.Data
	if cmd.Key == "" || d.MessageID == "" || cmd.Source != SourceMailPrefix+d.MessageID {
		return Errorf(EINVALID, "%s events are made by mail ingest, with the mail's Message-ID (message_id) as their source", cmd.Type)
	}
	d.Role = ""
	pr := p.proposal(d.Proposal)
	switch {
	case pr == nil:
		return Errorf(ENOTFOUND, "unknown proposal %q", d.Proposal)
	case pr.Status != ProposalOpen:
		return Errorf(ECONFLICT, "proposal %s is %s already", pr.ID, pr.Status)
	case d.PatchVersion < 1 || d.PatchVersion > MaxPatchVersion:
		return Errorf(EINVALID, "patch_version %d: a patch's version is from 1 to %d", d.PatchVersion, MaxPatchVersion)
	case !isPatchID(d.PatchID):
		return Errorf(EINVALID, "patch_id %q: a stable patch-id is 40 lower-case hex digits", d.PatchID)
	}
	cur := pr.Patch()
	switch {
	case cur == nil:
		return nil
	case cur.From != "" && !strings.EqualFold(d.Email, cur.From):
		// As b4 links versions: by the same author. Anyone else's
		// "[PATCH v9]" in the thread would void the acks.
		return Errorf(ECONFLICT, "v%d of the patch of %s comes from %s, not from %s, who posted v%d: not a version of it", d.PatchVersion, pr.ID, orNobody(d.Email), cur.From, cur.Version)
	case d.PatchVersion < cur.Version:
		return Errorf(ECONFLICT, "v%d of the patch of %s is older than v%d, recorded already", d.PatchVersion, pr.ID, cur.Version)
	case d.PatchVersion == cur.Version && d.PatchID == cur.PatchID:
		return Errorf(ECONFLICT, "v%d of the patch of %s is recorded already (mail %s)", d.PatchVersion, pr.ID, cur.MessageID)
	case d.PatchVersion == cur.Version:
		return Errorf(ECONFLICT, "v%d of the patch of %s is recorded already with another diff (mail %s): a changed patch needs a new version", d.PatchVersion, pr.ID, cur.MessageID)
	}
	return nil
}

// checkPositionVersion refuses a position given on a version of the
// proposal's patch that does not exist (yet): it would count for nothing.
func checkPositionVersion(d *EventData, pr *Proposal) error {
	cur := pr.Patch()
	switch {
	case d.PatchVersion == 0:
		return nil
	case d.PatchVersion < 0:
		return Errorf(EINVALID, "patch_version %d: a patch's version is from 1", d.PatchVersion)
	case cur == nil:
		return Errorf(ECONFLICT, "given on v%d of the patch of %s, which pvczar has no version of", d.PatchVersion, pr.ID)
	case d.PatchVersion > cur.Version:
		return Errorf(ECONFLICT, "given on v%d of the patch of %s, which does not exist: its latest version is v%d", d.PatchVersion, pr.ID, cur.Version)
	}
	return nil
}

func isPatchID(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && (s[i] < 'a' || s[i] > 'f') {
			return false
		}
	}
	return true
}

func orNobody(email string) string {
	if email == "" {
		return "no address"
	}
	return email
}
