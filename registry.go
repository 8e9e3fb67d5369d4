package pvczar

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Registry is the state of the lifecycle: the fold of the event log,
// evaluated at some instant. Build one with NewRegistry and Apply, or Replay.
// It does no I/O and never reads a clock.
type Registry struct {
	Users     map[string]*User     `json:"users"`
	Protocols map[string]*Protocol `json:"protocols"`
	// Anomalies lists logged events that did not fit the state when folded
	// (for example after a configuration change); they are kept, not applied.
	Anomalies []string `json:"anomalies,omitempty"`
	// Unapplied lists the lines of mail that pvczar could not apply, in
	// log order, for the digest.
	Unapplied []UnappliedMail `json:"unapplied_mail,omitempty"`
	// Candidates lists the SUPPORT.md patches read in mail, in log order.
	Candidates []Candidate `json:"support_candidates,omitempty"`

	config Config
	// latest is the time of the latest event folded; awayChanges counts
	// the absences declared or cancelled, which move lapse instants.
	latest      time.Time
	awayChanges int
	// threads maps the thread each open proposal adopted to the proposal.
	threads map[string]string
}

// NewRegistry returns an empty registry under cfg.
func NewRegistry(cfg Config) *Registry {
	return &Registry{Users: map[string]*User{}, Protocols: map[string]*Protocol{}, config: cfg, threads: map[string]string{}}
}

// Replay folds events, in log order, into a new registry. It never fails:
// events that do not fit are listed in Anomalies.
func Replay(cfg Config, events []Event) *Registry {
	r := NewRegistry(cfg)
	for _, e := range events {
		r.Apply(e)
	}
	return r
}

// AdvanceTo evaluates every protocol at now: clock-driven changes due by then
// take effect (and become pending clock events).
func (r *Registry) AdvanceTo(now time.Time) {
	for _, p := range r.Protocols {
		r.advance(p, now)
	}
}

// Pending returns the clock events that are due but not yet logged, ordered
// by time and key.
func (r *Registry) Pending() []Event {
	var out []Event
	for _, p := range r.Protocols {
		out = append(out, p.pending...)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// SortedProtocols returns the protocols ordered by id.
func (r *Registry) SortedProtocols() []*Protocol {
	out := make([]*Protocol, 0, len(r.Protocols))
	for _, p := range r.Protocols {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SortedUsers returns the users ordered by name.
func (r *Registry) SortedUsers() []*User {
	out := make([]*User, 0, len(r.Users))
	for _, u := range r.Users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// UserByEmail returns the user with that address, if pvczar knows one.
func (r *Registry) UserByEmail(email string) *User {
	// Addresses are unique (checkEmail): any order finds the same user,
	// without sorting them for each mail read.
	for _, u := range r.Users {
		if u.Email != "" && strings.EqualFold(u.Email, email) {
			return u
		}
	}
	return nil
}

// SameName reports whether two people's names are the same, but for case
// and spacing.
func SameName(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// Proposal finds a proposal by id ("<protocol>-<n>").
func (r *Registry) Proposal(id string) (*Protocol, *Proposal, error) {
	i := strings.LastIndexByte(id, '-')
	if i > 0 {
		if p := r.Protocols[id[:i]]; p != nil {
			for _, pr := range p.Proposals {
				if pr.ID == id {
					return p, pr, nil
				}
			}
		}
	}
	return nil, nil, Errorf(ENOTFOUND, "unknown proposal %q (proposals are named <protocol>-<number>, e.g. pvcalls-1)", id)
}

// Protocol finds a protocol by id.
func (r *Registry) Protocol(id string) (*Protocol, error) {
	if p := r.Protocols[id]; p != nil {
		return p, nil
	}
	return nil, Errorf(ENOTFOUND, "unknown protocol %q", id)
}

// Apply folds one logged event into the registry. It checks nothing about
// who may do what (the event was checked when it was made); an event that
// does not fit the state is recorded in Anomalies and otherwise ignored.
func (r *Registry) Apply(e Event) {
	if err := r.apply(e); err != nil {
		r.Anomalies = append(r.Anomalies, fmt.Sprintf("event %d (%s): %s", e.Seq, e.Type, err))
	}
}

func (r *Registry) apply(e Event) error {
	d := e.Data
	if e.At.After(r.latest) {
		r.latest = e.At
	}
	switch e.Type {
	case EventUserAway, EventUserAwayCancelled:
		return r.applyAway(e)
	case EventUserAdded:
		r.Users[d.User] = &User{Name: d.User, Display: d.Display, Email: d.Email, Role: d.Role, Since: e.At, Source: e.Source}
		return nil
	case EventUserRoleChanged, EventUserEdited:
		u := r.Users[d.User]
		if u == nil {
			return fmt.Errorf("unknown user %q", d.User)
		}
		u.Source = e.Source
		if e.Type == EventUserRoleChanged {
			u.Role = d.Role
			return nil
		}
		if d.Display != "" {
			u.Display = d.Display
		}
		if d.Email != "" {
			u.Email = d.Email
		}
		return nil
	case EventProtocolRegistered:
		since := e.At
		if d.Since != nil {
			since = *d.Since
		}
		p := &Protocol{
			ID: d.Protocol, Title: d.Title, Owners: d.Owners, Aliases: d.Aliases, Stage: d.Stage, StageSince: since,
			Version: d.Version, Header: d.Header, Clock: e.At,
			History: []StageChange{{Stage: d.Stage, At: since, By: e.Actor, Reason: d.Reason}},
		}
		if e.IsImported() {
			p.Imported = d.Commit
			p.History[0].Imported, p.History[0].Commit = true, d.Commit
		}
		p.lastRecord, p.lastPerson = e.At, e.At
		p.LogVersion = e.Version
		r.Protocols[d.Protocol] = p
		r.settle(p)
		return nil
	case EventMailUnapplied:
		r.Unapplied = append(r.Unapplied, UnappliedMail{At: e.At, MessageID: d.MessageID, Subject: d.Subject,
			From: MailAddress{Name: d.Display, Email: d.Email}, User: d.User, Proposal: d.Proposal, Line: d.Line, Reason: d.Reason})
		return nil
	case EventSupportCandidate:
		r.Candidates = append(r.Candidates, Candidate{MessageID: d.MessageID, Subject: d.Subject, At: e.At, Sender: d.Display, User: d.User, Changes: d.Changes})
		return nil
	}

	p := r.Protocols[d.Protocol]
	if p == nil {
		return fmt.Errorf("unknown protocol %q", d.Protocol)
	}
	r.advance(p, e.At)
	if e.At.After(p.lastRecord) {
		p.lastRecord = e.At
	}
	if !e.Type.IsClock() && e.At.After(p.lastPerson) {
		p.lastPerson = e.At
	}
	p.LogVersion = max(p.LogVersion, e.Version)
	if e.Type.IsClock() {
		return p.markLogged(e)
	}
	if err := r.applyToProtocol(p, e); err != nil {
		return err
	}
	r.settle(p)
	return nil
}

// markLogged takes a logged clock event off the pending list.
func (p *Protocol) markLogged(e Event) error {
	for i, pe := range p.pending {
		if pe.Key == e.Key {
			p.pending = append(p.pending[:i], p.pending[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("clock event %s does not follow from the log under this configuration", e.Key)
}

func (r *Registry) applyToProtocol(p *Protocol, e Event) error {
	d := e.Data
	switch e.Type {
	case EventProtocolEdited:
		if d.Title != "" {
			p.Title = d.Title
		}
		if d.Owners != nil {
			p.Owners = d.Owners
		}
		if d.Aliases != nil {
			p.Aliases = d.Aliases
		}
		if d.Header != "" {
			p.Header = d.Header
		}
	case EventProtocolWithdrawn, EventProtocolDeferred:
		if e.Type == EventProtocolDeferred {
			p.ResumeStage = p.Stage
		}
		p.moveTo(d.Stage, e.At, e, "")
	case EventProtocolResumed:
		p.moveTo(d.Stage, e.At, e, "")
		p.ResumeStage = ""
	case EventImplementationRecorded:
		p.recordImplementation(*d.Implementation)
	case EventSupportImported:
		p.listImplementations(d.Implementations, d.Commit)
		p.Listed = d.Commit
		if d.Stage != "" {
			at := e.At
			if d.Since != nil {
				at = *d.Since
			}
			p.moveTo(d.Stage, at, e, "")
		}
	case EventEvidenceRecorded:
		return p.recordEvidence(e)
	case EventKnownIssueAdded:
		p.KnownIssues = append(p.KnownIssues, KnownIssue{ID: d.Issue, Text: d.Text})
	case EventKnownIssueAccepted, EventKnownIssueClosed:
		ki := p.knownIssue(d.Issue)
		if ki == nil {
			return fmt.Errorf("unknown known issue #%d", d.Issue)
		}
		if e.Type == EventKnownIssueAccepted {
			ki.Accepted, ki.Reason = true, d.Reason
		} else {
			ki.Closed = true
		}
	case EventGateWaived:
		p.Waivers = append(p.Waivers, Waiver{To: d.To, Gate: d.Gate, Reason: d.Reason, By: e.Actor, At: e.At})
	case EventProposalOpened:
		p.Proposals = append(p.Proposals, &Proposal{
			ID: d.Proposal, Protocol: p.ID, From: p.Stage, To: d.To, Proposer: e.Actor, Opened: e.At,
			WindowDays: d.Days, Deadline: *d.Deadline, Status: ProposalOpen, Thread: d.Thread,
		})
		if d.Thread != "" {
			r.threads[d.Thread] = d.Proposal
		}
	default:
		pr := p.proposal(d.Proposal)
		if pr == nil {
			return fmt.Errorf("unknown proposal %q", d.Proposal)
		}
		return r.applyToProposal(p, pr, e)
	}
	return nil
}

func (r *Registry) applyToProposal(p *Protocol, pr *Proposal, e Event) error {
	d := e.Data
	switch e.Type {
	case EventProposalWithdrawn:
		pr.close(ProposalWithdrawn, &Decision{Outcome: ProposalWithdrawn, By: e.Actor, At: e.At, Reason: d.Reason})
		r.releaseThread(pr)
	case EventProposalLanded:
		pr.Landed = &Landing{Commit: d.Commit, At: *d.Since, How: d.Reason}
	case EventWindowExtended:
		pr.Deadline = *d.Deadline
		pr.WindowDays += d.Days
		pr.WindowClosed = false
	case EventProposalDecided:
		pr.close(d.Outcome, &Decision{Outcome: d.Outcome, By: e.Actor, At: e.At, Reason: d.Reason})
		r.releaseThread(pr)
		if d.Outcome == ProposalAccepted {
			if pr.To != p.Stage {
				p.moveTo(pr.To, e.At, e, pr.ID)
			}
			if pr.To == StageProduction && p.Spec != nil {
				baseline := *p.Spec
				baseline.Breaking = nil
				p.ProductionSpec = &baseline
			}
		}
	case EventPositionRecorded:
		messageID, fromMail := strings.CutPrefix(e.Source, SourceMailPrefix)
		if !fromMail {
			messageID = "" // said on the web, the API or the CLI
		}
		pr.Positions = append(pr.Positions, Position{Author: e.Actor, Kind: d.Kind, Role: d.Role, Text: d.Text, At: e.At, Source: e.Source,
			MessageID: messageID, Version: d.PatchVersion})
	case EventPatchRevised:
		pr.Revisions = append(pr.Revisions, Revision{Version: d.PatchVersion, PatchID: d.PatchID, MessageID: d.MessageID, Title: d.Subject, From: d.Email, By: e.Actor, At: e.At})
	case EventObjectionRaised:
		r.raiseObjection(pr, e)
	case EventHoldPlaced:
		pr.Holds = append(pr.Holds, &Hold{Holder: e.Actor, Placed: e.At, Expires: e.At.Add(time.Duration(r.config.HoldDays) * Day), Status: HoldActive, Reason: d.Reason})
	case EventHoldReleased:
		h := pr.activeHold(d.Holder)
		if h == nil {
			return fmt.Errorf("no active hold of %s", d.Holder)
		}
		h.Status, h.Ended = HoldReleased, e.At
	default:
		o := pr.Objection(d.Objection)
		if o == nil {
			return fmt.Errorf("unknown objection %q", d.Objection)
		}
		return applyToObjection(p, pr, o, e)
	}
	return nil
}

func (r *Registry) raiseObjection(pr *Proposal, e Event) {
	d := e.Data
	status := ObjectionNeedsJustification
	if Justified(d.About, d.Resolution, d.Reason) {
		status = ObjectionOpen
	}
	if o := pr.Objection(d.Objection); o != nil { // the author justifies a bare objection
		o.About, o.Resolution, o.Reason, o.Status = d.About, d.Resolution, d.Reason, status
		o.Ball, o.BallSince = BallProposer, e.At
		return
	}
	pr.Objections = append(pr.Objections, &Objection{
		Name: d.Objection, Author: e.Actor, About: d.About, Resolution: d.Resolution, Reason: d.Reason,
		Raised: e.At, Source: e.Source, Status: status, Ball: BallProposer, BallSince: e.At,
	})
	if h := pr.activeHold(e.Actor); h != nil {
		h.Status, h.Ended = HoldConverted, e.At
	}
}

// Justified reports whether an objection is specific and technical enough to
// block: it says what it is about, what would resolve it, and why.
func Justified(about, resolution, reason string) bool {
	return strings.TrimSpace(about) != "" && strings.TrimSpace(resolution) != "" && strings.TrimSpace(reason) != ""
}

func applyToObjection(p *Protocol, pr *Proposal, o *Objection, e Event) error {
	d := e.Data
	switch e.Type {
	case EventObjectionAnswered:
		o.Replies = append(o.Replies, Reply{Author: e.Actor, Text: d.Text, At: e.At, Source: e.Source})
		switch {
		case e.Actor == o.Author:
			if o.Status == ObjectionLapsed {
				o.Status = ObjectionOpen
			}
			o.Ball, o.BallSince = BallProposer, e.At
		case p.speaksForProposal(pr, e.Actor, e.Data.Role):
			o.Ball, o.BallSince = BallObjector, e.At
		}
	case EventObjectionPoked:
		o.Pokes = append(o.Pokes, Reply{Author: e.Actor, Text: d.Text, At: e.At, Source: e.Source})
	case EventObjectionRevived:
		o.Status, o.Ball, o.BallSince, o.Closed = ObjectionOpen, BallProposer, e.At, nil
	case EventObjectionResolved, EventObjectionWithdrawn, EventObjectionOverruled:
		o.Status = map[EventType]string{
			EventObjectionResolved:  ObjectionResolved,
			EventObjectionWithdrawn: ObjectionWithdrawn,
			EventObjectionOverruled: ObjectionOverruled,
		}[e.Type]
		o.Closed = &Closure{By: e.Actor, At: e.At, Reason: d.Reason}
	default:
		return fmt.Errorf("event type %q is unknown", e.Type)
	}
	return nil
}

// speaksForProposal reports whether user answers objections on the
// proposer's side: the proposer, an owner of the protocol, or the Czar.
func (p *Protocol) speaksForProposal(pr *Proposal, user string, role Role) bool {
	return user == pr.Proposer || p.IsOwner(user) || role == RoleCzar
}

// moveTo moves the protocol to stage at the time at, by e: a decision on
// proposal, or an imported move (which names its xen.git commit).
func (p *Protocol) moveTo(stage Stage, at time.Time, e Event, proposal string) {
	p.Stage, p.StageSince = stage, at
	ch := StageChange{Stage: stage, At: at, By: e.Actor, Proposal: proposal, Reason: e.Data.Reason}
	if e.IsImported() {
		ch.Imported, ch.Commit = true, e.Data.Commit
	}
	p.History = append(p.History, ch)
}

func (p *Protocol) recordImplementation(impl Implementation) {
	for i := range p.Implementations {
		old := &p.Implementations[i]
		if old.ID != impl.ID {
			continue
		}
		if impl.Review != "" {
			old.Review = impl.Review
		}
		if impl.UpstreamCommit != "" {
			old.UpstreamCommit = impl.UpstreamCommit
		}
		if impl.Support != "" {
			old.Support = impl.Support
		}
		old.Series = append(old.Series, impl.Series...)
		old.recordConformance(impl.Conformance)
		return
	}
	cs := impl.Conformance
	impl.Conformance = nil
	impl.recordConformance(cs)
	p.Implementations = append(p.Implementations, impl)
	sort.Slice(p.Implementations, func(i, j int) bool { return p.Implementations[i].ID < p.Implementations[j].ID })
}

// listImplementations makes listed the implementations SUPPORT.md lists
// (at commit): those an earlier revision listed and this one does not are
// dropped, unless someone recorded more about them by hand (a patch series,
// a review state, an upstream commit, a conformance), which stays.
func (p *Protocol) listImplementations(listed []Implementation, commit string) {
	kept := p.Implementations[:0:0]
	for _, impl := range p.Implementations {
		if impl.Listed != "" {
			impl.Name, impl.Support, impl.SupportNote, impl.Caveat, impl.Listed = "", "", "", "", ""
			if len(impl.Series) == 0 && impl.Review == "" && impl.UpstreamCommit == "" && len(impl.Conformance) == 0 {
				continue
			}
		}
		kept = append(kept, impl)
	}
	for _, l := range listed {
		l.Listed = commit
		if i := slices.IndexFunc(kept, func(impl Implementation) bool { return impl.ID == l.ID }); i >= 0 {
			l.Series, l.Review, l.UpstreamCommit, l.Conformance = kept[i].Series, kept[i].Review, kept[i].UpstreamCommit, kept[i].Conformance
			kept[i] = l
			continue
		}
		kept = append(kept, l)
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].ID < kept[j].ID })
	p.Implementations = kept
}

// Evidence kinds recorded with evidence.recorded.
const (
	EvidenceDesignDoc     = "design-doc"
	EvidenceDocCheck      = "doc-check"
	EvidenceDesignThread  = "design-thread"
	EvidenceVersion       = "version"
	EvidenceCompatibility = "compatibility"
	EvidenceSpec          = "spec"
)

func (p *Protocol) recordEvidence(e Event) error {
	d := e.Data
	switch d.Evidence {
	case EvidenceDesignDoc:
		p.DesignDoc = &DocRef{Path: d.Path, Commit: d.Commit}
	case EvidenceDocCheck:
		p.DocCheck = &DocCheck{Passed: d.Passed != nil && *d.Passed, Commit: d.Commit, Note: d.Text, At: e.At}
	case EvidenceDesignThread:
		p.DesignThread = d.MessageID
	case EvidenceVersion:
		p.Version = d.Version
	case EvidenceSpec:
		p.Spec = &SpecRecord{Path: d.Path, Commit: d.Commit, Version: d.SpecVersion, Digest: SpecDigest(d.SpecText), Features: d.SpecFeatures, Breaking: d.Breaking, Handshake: d.Handshake, At: e.At}
		if p.Stage == StageProduction && p.ProductionSpec == nil {
			// The first spec of a protocol already in production is its baseline.
			baseline := *p.Spec
			baseline.Breaking = nil
			p.ProductionSpec = &baseline
		}
		// A waiver of the compatibility gate waived the previous spec's findings.
		p.Waivers = slices.DeleteFunc(p.Waivers, func(w Waiver) bool { return w.Gate == GateSpecCompat })
	case EvidenceCompatibility:
		p.Compatibility = &Compatibility{Backward: d.Backward, CrossPlatform: d.CrossPlatform}
	default:
		return fmt.Errorf("unknown evidence kind %q", d.Evidence)
	}
	return nil
}

func (p *Protocol) knownIssue(id int) *KnownIssue {
	for i := range p.KnownIssues {
		if p.KnownIssues[i].ID == id {
			return &p.KnownIssues[i]
		}
	}
	return nil
}

func (p *Protocol) proposal(id string) *Proposal {
	for _, pr := range p.Proposals {
		if pr.ID == id {
			return pr
		}
	}
	return nil
}

func (pr *Proposal) activeHold(holder string) *Hold {
	for _, h := range pr.Holds {
		if h.Holder == holder && h.Status == HoldActive {
			return h
		}
	}
	return nil
}

// releaseThread frees the thread of a proposal that closed: another
// proposal may adopt it.
func (r *Registry) releaseThread(pr *Proposal) {
	if pr.Thread != "" && r.threads[pr.Thread] == pr.ID {
		delete(r.threads, pr.Thread)
	}
}

// close ends a proposal; its derived flags freeze.
func (pr *Proposal) close(status string, d *Decision) {
	pr.Status, pr.Decision = status, d
	pr.Ready, pr.ReadySince, pr.Overdue, pr.Stalled, pr.Needs = false, nil, false, false, nil
	for _, h := range pr.Holds {
		if h.Status == HoldActive {
			h.Status, h.Ended = HoldReleased, d.At
		}
	}
}
