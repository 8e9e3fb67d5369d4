package mail

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/mail/patch"
)

// revisions follows, during one ingest, the versions of the patches that
// proposals follow (a SUPPORT.md patch whose thread a proposal adopted),
// as b4 does: each version's parts are gathered until the series is whole,
// then its patch-id is recorded (patch.revised), so that an ack given on an
// earlier version counts only while the patch is unchanged.
type revisions struct {
	series map[string]*patch.Series // by proposal and version
	first  map[string]string        // the Message-ID a version is known by: its cover letter's, else its first part's
	// threads maps the Message-ID of every patch mail of a proposal's
	// versions to the proposal: replies below a later version, which
	// starts a thread of its own, belong to it too.
	threads map[string]string
	// recorded holds the versions this ingest recorded, by proposal:
	// the registry it reads was read before them.
	recorded map[string]pvczar.Revision
}

func newRevisions() *revisions {
	return &revisions{series: map[string]*patch.Series{}, first: map[string]string{}, threads: map[string]string{}, recorded: map[string]pvczar.Revision{}}
}

// learn notes the versions reg records of the open proposals' patches, by
// the mails that posted them, so that their replies are found by a lookup.
func (rv *revisions) learn(reg *pvczar.Registry) {
	for _, p := range reg.SortedProtocols() {
		if pr := p.OpenProposal(); pr != nil {
			for _, v := range pr.Revisions {
				rv.threads[v.MessageID] = pr.ID
			}
		}
	}
}

// proposalOf returns the proposal whose patch versions a mail answers:
// those this ingest read, and those it learnt.
func (rv *revisions) proposalOf(ids ...string) (string, bool) {
	for _, id := range ids {
		if p, ok := rv.threads[strings.Trim(id, "<> ")]; ok {
			return p, true
		}
	}
	return "", false
}

// laterVersion returns the open proposal whose patch a thread-starting
// patch mail revises: the same title, from the same address, at a higher
// version (b4's rule).
func (rv *revisions) laterVersion(reg *pvczar.Registry, m Mail, s patch.Subject) (string, bool) {
	revises := func(cur pvczar.Revision) bool {
		return cur.Title != "" && strings.EqualFold(cur.Title, s.Title) && strings.EqualFold(cur.From, m.From.Email) && s.Version > cur.Version
	}
	for id, cur := range rv.recorded {
		if revises(cur) {
			return id, true
		}
	}
	for _, p := range reg.SortedProtocols() {
		if pr := p.OpenProposal(); pr != nil && pr.Patch() != nil && revises(*pr.Patch()) {
			return pr.ID, true
		}
	}
	return "", false
}

// read reads a patch mail (not a reply) of proposal: the revision to record
// when its version is whole, or nil, and a note on what could not be read.
func (rv *revisions) read(reg *pvczar.Registry, m Mail, s patch.Subject, proposal string) (*pvczar.Event, string) {
	rv.threads[m.MessageID] = proposal
	key := fmt.Sprintf("%s v%d", proposal, s.Version)
	if _, ok := rv.first[key]; !ok || s.CoverLetter() {
		rv.first[key] = m.MessageID
	}
	if s.CoverLetter() {
		return nil, ""
	}
	id, err := patch.ID(m.Body)
	if err != nil {
		return nil, fmt.Sprintf("v%d of %s's patch: %v", s.Version, proposal, err)
	}
	sr := rv.series[key]
	if sr == nil {
		sr = patch.NewSeries(s)
		rv.series[key] = sr
	}
	if err := sr.Add(s, id); err != nil {
		return nil, err.Error()
	}
	seriesID, err := sr.ID()
	if err != nil {
		return nil, "" // parts are still to come
	}
	actor := pvczar.ActorMail
	if u := reg.UserByEmail(m.From.Email); u != nil {
		actor = u.Name
	}
	delete(rv.series, key)
	rv.recorded[proposal] = pvczar.Revision{Version: s.Version, PatchID: seriesID, Title: s.Title, From: m.From.Email, By: actor}
	return &pvczar.Event{Type: pvczar.EventPatchRevised, At: m.Date, Actor: actor, Source: pvczar.SourceMailPrefix + m.MessageID,
		Key:  pvczar.SourceMailPrefix + m.MessageID + "/patch",
		Data: pvczar.EventData{Proposal: proposal, PatchVersion: s.Version, PatchID: seriesID, MessageID: rv.first[key], Subject: s.Title, Email: m.From.Email}}, ""
}

// incomplete describes the series whose parts did not all come.
func (rv *revisions) incomplete() []string {
	var out []string
	for key, sr := range rv.series {
		if _, err := sr.ID(); err != nil {
			var se *patch.SeriesError
			if errors.As(err, &se) {
				out = append(out, key+": "+se.Error())
			}
		}
	}
	sort.Strings(out)
	return out
}
