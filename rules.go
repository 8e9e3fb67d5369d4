package pvczar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Decide checks a command against the registry and the rules and returns the
// event to append: cmd with its stream and derived facts filled in. The
// registry's clock for the affected protocol is advanced to cmd.At first, so
// the command is judged by the state at that instant. Decide does not apply
// the event; call Apply once it is stored.
func (r *Registry) Decide(cmd Event) (Event, error) {
	if cmd.At.IsZero() {
		return Event{}, Errorf(EINVALID, "the command has no time")
	}
	if err := CheckTimeRange("the command's time", cmd.At); err != nil {
		return Event{}, err
	}
	if s := cmd.Data.Since; s != nil {
		if err := CheckTimeRange("since", *s); err != nil {
			return Event{}, err
		}
	}
	cmd.At = cmd.At.UTC().Truncate(time.Second)
	cmd.Seq, cmd.Version = 0, 0
	if !strings.HasPrefix(cmd.Source, SourceMailPrefix) {
		cmd.Key = "" // only mail commands carry a key: a mail ingested twice records nothing twice
	}
	if cmd.Type.IsClock() {
		return Event{}, Errorf(EINVALID, "%s events are made by the clock, not by people", cmd.Type)
	}
	if cmd.Type == EventUserAdded || cmd.Type == EventUserRoleChanged || cmd.Type == EventUserEdited {
		cmd.Stream = StreamOf(cmd.Type, cmd.Data)
		return cmd, r.decideUser(&cmd)
	}
	if cmd.Type == EventUserAway || cmd.Type == EventUserAwayCancelled {
		cmd.Stream = StreamOf(cmd.Type, cmd.Data)
		return cmd, r.decideAway(&cmd)
	}
	if cmd.Type == EventMailUnapplied { // its sender may be no user: no actor to check
		cmd.Stream = StreamOf(cmd.Type, cmd.Data)
		return cmd, decideUnapplied(&cmd)
	}
	if cmd.Type == EventSupportCandidate {
		cmd.Stream = StreamOf(cmd.Type, cmd.Data)
		return cmd, r.decideCandidate(&cmd)
	}
	var actor *User
	var err error
	if cmd.Type == EventPatchRevised { // its sender may be no user: decideRevision checks the actor
		err = r.revisionActor(cmd.Actor)
	} else {
		actor, err = r.actor(cmd.Actor)
	}
	if err != nil {
		return Event{}, err
	}
	if cmd.Type == EventProtocolRegistered {
		cmd.Stream = ProtocolStream(cmd.Data.Protocol)
		return cmd, r.decideRegister(&cmd, actor)
	}
	p, err := r.Protocol(cmd.ProtocolID())
	if err != nil && cmd.Data.Protocol == "" {
		_, _, err = r.Proposal(cmd.Data.Proposal)
	}
	if err != nil {
		return Event{}, err
	}
	cmd.Data.Protocol = p.ID
	cmd.Stream = ProtocolStream(p.ID)
	// The clock does not run backwards, with one exception: mail arrives
	// late. A command from mail may be dated before events already logged
	// (a window closed, or someone acted on the web, while it was in flight,
	// or before the archive was read); it is judged at its own date where
	// the rules look at dates (an objection before the deadline), and, when
	// a person acted after that date, logged just after their latest
	// action, so that people's actions stay in the order they were logged.
	mail := strings.HasPrefix(cmd.Source, SourceMailPrefix)
	if !mail && cmd.At.Before(p.lastRecord) {
		return Event{}, Errorf(ECONFLICT, "%s is before the latest record of %s (%s): the clock does not run backwards", FormatUTC(cmd.At), p.ID, FormatUTC(p.lastRecord))
	}
	r.advance(p, cmd.At)
	err = r.decideForProtocol(&cmd, actor, p)
	if err == nil && mail && cmd.At.Before(p.lastPerson) {
		cmd.At = p.lastPerson
	}
	return cmd, err
}

// actor returns the acting user, who must be known and more than a reader.
func (r *Registry) actor(name string) (*User, error) {
	if name == "" {
		return nil, Errorf(EUNAUTHORIZED, "nobody is identified: pass --as USER or set PVCZAR_USER")
	}
	u := r.Users[name]
	if u == nil {
		return nil, Errorf(EUNAUTHORIZED, "unknown user %q: ask the Czar to add you", name)
	}
	if u.Role == RoleReader {
		return nil, Errorf(EFORBIDDEN, "%s is a reader and may only read", name)
	}
	return u, nil
}

// Permit says whether u's role lets them send a command of type t about
// protocol p (nil for a registration). It is the role part of the rules, in
// one place: Decide asks it, and the web offers a form only to those it
// permits. Whether the command suits the state of p now, and the rules that
// name a person (a proposal's proposer, an objection's author), are decided
// when the command comes.
func Permit(u *User, p *Protocol, t EventType) error {
	if u.Role == RoleReader {
		return Errorf(EFORBIDDEN, "%s is a reader and may only read", u.Name)
	}
	switch t {
	case EventProtocolRegistered:
		if u.Role.Rank() < RoleContributor.Rank() {
			return forbidden(u, "register protocols")
		}
	case EventProtocolEdited, EventImplementationRecorded, EventEvidenceRecorded, EventProtocolWithdrawn, EventKnownIssueClosed, EventProposalOpened:
		return requireOwnerOrCzar(u, p, permitWhat[t])
	case EventKnownIssueAdded:
		if u.Role != RoleMaintainer {
			return requireOwnerOrCzar(u, p, permitWhat[t])
		}
	case EventUserAdded, EventUserRoleChanged, EventKnownIssueAccepted, EventProtocolDeferred, EventProtocolResumed,
		EventGateWaived, EventSupportImported, EventWindowExtended, EventProposalDecided, EventObjectionOverruled, EventProposalLanded:
		return requireCzar(u, permitWhat[t])
	}
	return nil
}

// permitWhat names what a command does, for Permit's refusals.
var permitWhat = map[EventType]string{
	EventProtocolEdited: "edit", EventImplementationRecorded: "record implementations", EventEvidenceRecorded: "record evidence",
	EventProtocolWithdrawn: "withdraw", EventKnownIssueClosed: "close known issues", EventProposalOpened: "propose moves",
	EventKnownIssueAdded: "record known issues", EventUserAdded: "manage users", EventUserRoleChanged: "manage users",
	EventKnownIssueAccepted: "accept known issues", EventProtocolDeferred: "defer or resume a protocol",
	EventProtocolResumed: "defer or resume a protocol", EventGateWaived: "waive gates", EventSupportImported: "import SUPPORT.md",
	EventWindowExtended: "extend a window", EventProposalDecided: "decide", EventObjectionOverruled: "overrule objections",
	EventProposalLanded: "record a landing in xen.git",
}

func forbidden(u *User, what string) error {
	return Errorf(EFORBIDDEN, "%s (%s) may not %s", u.Name, u.Role, what)
}

func requireCzar(u *User, what string) error {
	if u.Role != RoleCzar {
		return Errorf(EFORBIDDEN, "only the Czar may %s; %s is a %s", what, u.Name, u.Role)
	}
	return nil
}

// requireOwnerOrCzar lets the protocol's owners (if at least contributors)
// and the Czar act on a protocol.
func requireOwnerOrCzar(u *User, p *Protocol, what string) error {
	if u.Role == RoleCzar || (p.IsOwner(u.Name) && u.Role.Rank() >= RoleContributor.Rank()) {
		return nil
	}
	return forbidden(u, what+" of "+p.ID+" (only its owners and the Czar may)")
}

func requireText(field, value string) error {
	if strings.TrimSpace(value) == "" {
		return Errorf(EINVALID, "%s is required", field)
	}
	return nil
}

func (r *Registry) decideUser(cmd *Event) error {
	d := &cmd.Data
	if !ValidSlug(d.User) {
		return Errorf(EINVALID, "invalid user name %q: use lower-case letters, digits, '.', '_' and '-'", d.User)
	}
	if cmd.Type != EventUserEdited {
		if _, err := ParseRole(string(d.Role)); err != nil {
			return err
		}
	}
	if cmd.Type == EventUserAdded && len(r.Users) == 0 {
		if d.Role != RoleCzar || cmd.Actor != d.User {
			return Errorf(EINVALID, "the first user must be the Czar, adding themselves")
		}
		return nil
	}
	actor, err := r.actor(cmd.Actor)
	if err != nil {
		return err
	}
	if cmd.Type == EventUserEdited {
		return r.decideUserEdit(d, actor)
	}
	if err := Permit(actor, nil, cmd.Type); err != nil {
		return err
	}
	u := r.Users[d.User]
	if cmd.Type == EventUserAdded {
		if u != nil {
			return Errorf(ECONFLICT, "user %q exists already", d.User)
		}
		return r.checkEmail(d.User, d.Email)
	}
	if u == nil {
		return Errorf(ENOTFOUND, "unknown user %q", d.User)
	}
	if u.Role == RoleCzar && d.Role != RoleCzar && r.countRole(RoleCzar) == 1 {
		return Errorf(ECONFLICT, "%s is the only Czar; name another Czar first", d.User)
	}
	return nil
}

// decideUserEdit lets the Czar, or the person themselves, change a display
// name or a mail address (which mail commands are matched by).
func (r *Registry) decideUserEdit(d *EventData, actor *User) error {
	d.Role = ""
	if actor.Name != d.User {
		if err := requireCzar(actor, "edit other people"); err != nil {
			return err
		}
	}
	u := r.Users[d.User]
	if u == nil {
		return Errorf(ENOTFOUND, "unknown user %q", d.User)
	}
	if d.Display == "" && d.Email == "" {
		return Errorf(EINVALID, "nothing to change: give a display name or an email")
	}
	return r.checkEmail(d.User, d.Email)
}

// checkEmail checks the address user is given, if any: an address, and
// no one else's (mail commands are matched to people by it).
func (r *Registry) checkEmail(user, email string) error {
	if email == "" {
		return nil
	}
	if !strings.Contains(email, "@") {
		return Errorf(EINVALID, "invalid email %q", email)
	}
	if other := r.UserByEmail(email); other != nil && other.Name != user {
		return Errorf(ECONFLICT, "%s is the address of %s already", email, other.Name)
	}
	return nil
}

func (r *Registry) countRole(role Role) int {
	n := 0
	for _, u := range r.Users {
		if u.Role == role {
			n++
		}
	}
	return n
}

func (r *Registry) decideRegister(cmd *Event, actor *User) error {
	d := &cmd.Data
	if !ValidSlug(d.Protocol) || strings.Contains(d.Protocol, "-") && isNumber(d.Protocol[strings.LastIndexByte(d.Protocol, '-')+1:]) {
		return Errorf(EINVALID, "invalid protocol id %q: use lower-case letters, digits, '.', '_' and '-', not ending in -<number>", d.Protocol)
	}
	if r.Protocols[d.Protocol] != nil {
		return Errorf(ECONFLICT, "protocol %q exists already", d.Protocol)
	}
	if err := Permit(actor, nil, cmd.Type); err != nil {
		return err
	}
	if err := requireText("title", d.Title); err != nil {
		return err
	}
	if d.Stage == "" {
		d.Stage = StageDesign
	}
	if d.Stage != StageDesign {
		if err := requireCzar(actor, "register a protocol at a stage other than design (an import of its history)"); err != nil {
			return err
		}
		if _, err := ParseStage(string(d.Stage)); err != nil {
			return err
		}
		if d.Stage == StageWithdrawn || d.Stage == StageDeferred {
			return Errorf(EINVALID, "a protocol is registered at design, prototype or production")
		}
	}
	if d.Since != nil {
		since := d.Since.UTC().Truncate(time.Second)
		if since.After(cmd.At) {
			return Errorf(EINVALID, "since: %s is in the future", FormatUTC(since))
		}
		d.Since = &since
	}
	if len(d.Owners) == 0 {
		d.Owners = []string{actor.Name}
	}
	return r.checkUsers("owner", d.Owners)
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil && s != ""
}

func (r *Registry) checkUsers(what string, names []string) error {
	for _, n := range names {
		if r.Users[n] == nil {
			return Errorf(ENOTFOUND, "unknown user %q named as %s", n, what)
		}
	}
	return nil
}

func (r *Registry) decideForProtocol(cmd *Event, actor *User, p *Protocol) error {
	d := &cmd.Data
	switch cmd.Type {
	case EventPatchRevised:
		return decideRevision(cmd, p)
	case EventProtocolEdited:
		if err := Permit(actor, p, cmd.Type); err != nil {
			return err
		}
		if d.Title == "" && d.Owners == nil && d.Header == "" {
			return Errorf(EINVALID, "nothing to change: give a title, owners or a header")
		}
		return r.checkUsers("owner", d.Owners)
	case EventProtocolWithdrawn, EventProtocolDeferred, EventProtocolResumed:
		return r.decideSideState(cmd, actor, p)
	case EventImplementationRecorded:
		if err := Permit(actor, p, cmd.Type); err != nil {
			return err
		}
		if err := checkImplementation(d.Implementation); err != nil {
			return err
		}
		if err := checkConformance(d.Implementation, p, cmd.At); err != nil {
			return err
		}
		if impl := d.Implementation; impl.Support != "" && slices.ContainsFunc(p.listed(), func(l Implementation) bool { return l.ID == impl.ID }) {
			return Errorf(ECONFLICT, "SUPPORT.md labels %s (%s): a label is changed there, by a patch, and imported", impl.ID, impl.Support)
		}
		return nil
	case EventSupportImported:
		return decideSupportImport(cmd, actor, p)
	case EventEvidenceRecorded:
		if err := Permit(actor, p, cmd.Type); err != nil {
			return err
		}
		return checkEvidence(d, p)
	case EventKnownIssueAdded:
		if err := Permit(actor, p, cmd.Type); err != nil {
			return err
		}
		d.Issue = len(p.KnownIssues) + 1
		return requireText("the known issue's text", d.Text)
	case EventKnownIssueAccepted, EventKnownIssueClosed:
		ki := p.knownIssue(d.Issue)
		if ki == nil {
			return Errorf(ENOTFOUND, "%s has no known issue #%d", p.ID, d.Issue)
		}
		if ki.Closed {
			return Errorf(ECONFLICT, "known issue #%d of %s is closed already", d.Issue, p.ID)
		}
		if err := Permit(actor, p, cmd.Type); err != nil || cmd.Type == EventKnownIssueClosed {
			return err
		}
		return requireText("a reason", d.Reason)
	case EventGateWaived:
		return r.decideWaiver(cmd, actor, p)
	case EventProposalOpened:
		return r.decideOpen(cmd, actor, p)
	case EventProposalLanded: // a decided proposal's change lands too
		return decideLanded(cmd, actor, p)
	}
	pr := p.proposal(d.Proposal)
	if pr == nil {
		return Errorf(ENOTFOUND, "unknown proposal %q", d.Proposal)
	}
	if pr.Status != ProposalOpen {
		return Errorf(ECONFLICT, "proposal %s is %s already", pr.ID, pr.Status)
	}
	if strings.HasPrefix(cmd.Source, SourceMailPrefix) && cmd.At.Before(pr.Opened) {
		return Errorf(ECONFLICT, "the mail was sent on %s, before %s opened (%s): it is about the thread, not the proposal", FormatUTC(cmd.At), pr.ID, FormatUTC(pr.Opened))
	}
	return r.decideForProposal(cmd, actor, p, pr)
}

func (r *Registry) decideSideState(cmd *Event, actor *User, p *Protocol) error {
	d := &cmd.Data
	if err := Permit(actor, p, cmd.Type); err != nil {
		return err
	}
	if err := requireText("a reason", d.Reason); err != nil {
		return err
	}
	if pr := p.OpenProposal(); pr != nil {
		return Errorf(ECONFLICT, "%s has an open proposal (%s): decide or withdraw it first", p.ID, pr.ID)
	}
	switch cmd.Type {
	case EventProtocolResumed:
		if p.Stage != StageDeferred {
			return Errorf(ECONFLICT, "%s is not deferred (it is at %s)", p.ID, p.Stage)
		}
		d.Stage = p.ResumeStage
	case EventProtocolWithdrawn:
		if p.Stage == StageWithdrawn {
			return Errorf(ECONFLICT, "%s is withdrawn already", p.ID)
		}
		d.Stage = StageWithdrawn
	default:
		if p.Stage == StageWithdrawn || p.Stage == StageDeferred {
			return Errorf(ECONFLICT, "%s is %s already", p.ID, p.Stage)
		}
		d.Stage = StageDeferred
	}
	return nil
}

// decideSupportImport checks what an import read from one revision of
// SUPPORT.md, and sets the imported move its labels imply, if any.
func decideSupportImport(cmd *Event, actor *User, p *Protocol) error {
	d := &cmd.Data
	if err := Permit(actor, p, cmd.Type); err != nil {
		return err
	}
	if d.Commit == "" || cmd.Source != SourceXenPrefix+d.Commit {
		return Errorf(EINVALID, "a SUPPORT.md import names its xen.git commit, as its source %q", SourceXenPrefix+"<commit>")
	}
	seen := map[string]bool{}
	for i := range d.Implementations {
		impl := &d.Implementations[i]
		impl.Series, impl.Review, impl.UpstreamCommit, impl.Conformance = nil, "", "", nil
		if err := checkImplementation(impl); err != nil {
			return err
		}
		if impl.Support == "" {
			return Errorf(EINVALID, "implementation %s: SUPPORT.md gives every implementation a label", impl.ID)
		}
		if seen[impl.ID] {
			return Errorf(EINVALID, "implementation %s is listed twice", impl.ID)
		}
		seen[impl.ID] = true
	}
	if d.Since != nil {
		since := d.Since.UTC().Truncate(time.Second)
		if since.After(cmd.At) {
			return Errorf(EINVALID, "the commit's date %s is after the import's %s", FormatUTC(since), FormatUTC(cmd.At))
		}
		d.Since = &since
	}
	if d.Since != nil && d.Since.Before(p.StageSince) {
		since := p.StageSince // a commit older than the last move: the history stays in order
		d.Since = &since
	}
	d.Stage = p.impliedMove(d.Implementations)
	return nil
}

func checkImplementation(impl *Implementation) error {
	if impl == nil {
		return Errorf(EINVALID, "no implementation given")
	}
	if impl.Side != SideFrontend && impl.Side != SideBackend {
		return Errorf(EINVALID, "side %q: want frontend or backend", impl.Side)
	}
	if !slices.Contains(CodeBases, impl.CodeBase) {
		return Errorf(EINVALID, "code base %q: want one of %s", impl.CodeBase, strings.Join(CodeBases, ", "))
	}
	if impl.Support != "" {
		label, err := ParseSupport(impl.Support)
		if err != nil {
			return err
		}
		impl.Support = label
	}
	for _, s := range impl.Series {
		if strings.TrimSpace(s.MessageID) == "" || s.Version < 1 {
			return Errorf(EINVALID, "a patch series needs a Message-ID and a version of at least 1")
		}
	}
	impl.ID = ImplementationID(impl.CodeBase, impl.Side, impl.Name)
	return nil
}

func checkEvidence(d *EventData, p *Protocol) error {
	if d.Evidence != EvidenceDocCheck && d.Evidence != EvidenceSpec && (d.DocText != "" || d.SpecText != "") {
		return Errorf(EINVALID, "evidence %s takes no document or spec text", d.Evidence)
	}
	switch d.Evidence {
	case EvidenceDesignDoc:
		if err := requireText("the design document's path", d.Path); err != nil {
			return err
		}
		return requireText("the design document's xen.git commit", d.Commit)
	case EvidenceDocCheck:
		if d.Passed == nil {
			return Errorf(EINVALID, "the check's result (passed or failed) is required")
		}
		if len(d.DocText) > MaxEvidenceText || len(d.SpecText) > MaxEvidenceText {
			return Errorf(EINVALID, "the document and its spec may have at most %d bytes each", MaxEvidenceText)
		}
		if d.Commit == "" && p.DesignDoc != nil {
			d.Commit = p.DesignDoc.Commit
		}
		return requireText("the commit the check ran on", d.Commit)
	case EvidenceDesignThread:
		return requireText("the design thread's Message-ID", d.MessageID)
	case EvidenceVersion:
		return requireText("the protocol version", d.Version)
	case EvidenceCompatibility:
		if err := requireText("the backward-compatibility promise", d.Backward); err != nil {
			return err
		}
		return requireText("the cross-platform promise", d.CrossPlatform)
	case EvidenceSpec:
		switch {
		case strings.TrimSpace(d.SpecText) == "":
			return Errorf(EINVALID, "the spec's text is required")
		case len(d.SpecText) > MaxEvidenceText:
			return Errorf(EINVALID, "the spec has %d bytes; at most %d are kept", len(d.SpecText), MaxEvidenceText)
		case d.SpecVersion < 1:
			return Errorf(EINVALID, "the spec's protocol version (at least 1) is required")
		case p.ProductionSpec != nil && d.Baseline != p.ProductionSpec.Digest:
			// The comparison was made outside the write lock: a production
			// spec that changed since makes its findings wrong.
			return Errorf(ECONFLICT, "the spec was compared with a production spec that is not %s's current one: send it again", p.ID)
		}
		return requireText("the spec's path", d.Path)
	}
	return Errorf(EINVALID, "unknown evidence %q: want design-doc, doc-check, design-thread, version, compatibility or spec", d.Evidence)
}

func (r *Registry) decideWaiver(cmd *Event, actor *User, p *Protocol) error {
	d := &cmd.Data
	if err := Permit(actor, p, cmd.Type); err != nil {
		return err
	}
	if err := requireText("a written reason", d.Reason); err != nil {
		return err
	}
	if d.To == "" {
		d.To = p.NextMove()
	}
	for _, g := range r.Gates(p, d.To) {
		if g.Gate != d.Gate {
			continue
		}
		if g.OK() {
			return Errorf(ECONFLICT, "gate %s of %s for %s passes already; nothing to waive", d.Gate, p.ID, d.To)
		}
		return nil
	}
	return Errorf(EINVALID, "no gate %q for a move to %q: the gates are %s", d.Gate, d.To, strings.Join(gatesOf(p, p.Stage, d.To), ", "))
}

func (r *Registry) decideOpen(cmd *Event, actor *User, p *Protocol) error {
	d := &cmd.Data
	if err := Permit(actor, p, cmd.Type); err != nil {
		return err
	}
	next := p.NextMove()
	switch {
	case p.Stage == StageWithdrawn || p.Stage == StageDeferred:
		return Errorf(ECONFLICT, "%s is %s; it cannot move", p.ID, p.Stage)
	case d.To == "":
		d.To = next
	case d.To != next && next == "":
		return Errorf(ECONFLICT, "%s is at %s, the last stage", p.ID, p.Stage)
	case d.To != next:
		return Errorf(EINVALID, "%s is at %s; it can only move to %s (no stage may be skipped)", p.ID, p.Stage, next)
	}
	if d.To == "" {
		return Errorf(ECONFLICT, "%s is at %s, the last stage", p.ID, p.Stage)
	}
	if pr := p.OpenProposal(); pr != nil {
		return Errorf(ECONFLICT, "%s has an open proposal already (%s)", p.ID, pr.ID)
	}
	if err := r.checkThread(d); err != nil {
		return err
	}
	var failed []string
	for _, g := range r.Gates(p, d.To) {
		if !g.OK() {
			failed = append(failed, fmt.Sprintf("%s (%s)", g.Gate, g.Detail))
		}
	}
	if len(failed) > 0 {
		return Errorf(ECONFLICT, "gates for %s fail: %s", d.To, strings.Join(failed, "; "))
	}
	if d.Days == 0 {
		d.Days = r.config.WindowDays(d.To)
	} else if err := requireCzar(actor, "choose the window's length"); err != nil {
		return err
	} else if d.Days < MinWindowDays || d.Days > MaxDays {
		return Errorf(EINVALID, "a window of %d days: it must be from %d to %d days", d.Days, MinWindowDays, MaxDays)
	}
	deadline := EndOfDayAoE(cmd.At, d.Days)
	d.Deadline = &deadline
	d.Proposal = fmt.Sprintf("%s-%d", p.ID, len(p.Proposals)+1)
	return nil
}

func (r *Registry) decideForProposal(cmd *Event, actor *User, p *Protocol, pr *Proposal) error {
	d := &cmd.Data
	d.Role = actor.Role
	switch cmd.Type {
	case EventProposalWithdrawn:
		if actor.Name != pr.Proposer {
			return requireOwnerOrCzar(actor, p, "withdraw proposals")
		}
		return nil
	case EventWindowExtended:
		if err := Permit(actor, p, cmd.Type); err != nil {
			return err
		}
		if d.Days < 1 || d.Days > MaxDays {
			return Errorf(EINVALID, "an extension adds from 1 day (windows are never shortened) to %d days, not %d", MaxDays, d.Days)
		}
		if err := CheckTimeRange("the extended deadline", pr.Deadline.Add(days(d.Days))); err != nil {
			return err
		}
		deadline := pr.Deadline.Add(days(d.Days))
		d.Deadline = &deadline
		return nil
	case EventProposalDecided:
		return decideOutcome(d, actor, p, pr)
	case EventPositionRecorded:
		if _, err := ParsePositionKind(string(d.Kind)); err != nil {
			return err
		}
		return checkPositionVersion(d, pr)
	case EventObjectionRaised:
		return decideObjection(cmd, pr)
	case EventHoldPlaced:
		if cmd.At.After(pr.Deadline) {
			return Errorf(ECONFLICT, "the window of %s closed at %s; holds are placed while it is open", pr.ID, FormatAoE(pr.Deadline))
		}
		for _, h := range pr.Holds {
			if h.Holder == actor.Name {
				return Errorf(ECONFLICT, "%s has placed a hold on %s already (one per person per window)", actor.Name, pr.ID)
			}
		}
		return nil
	case EventHoldReleased:
		if d.Holder == "" {
			d.Holder = actor.Name
		}
		if d.Holder != actor.Name {
			if err := requireCzar(actor, "release someone else's hold"); err != nil {
				return err
			}
		}
		if pr.activeHold(d.Holder) == nil {
			return Errorf(ECONFLICT, "%s has no active hold on %s", d.Holder, pr.ID)
		}
		return nil
	}
	o := pr.Objection(d.Objection)
	if o == nil {
		return Errorf(ENOTFOUND, "proposal %s has no objection %q", pr.ID, d.Objection)
	}
	return decideObjectionChange(cmd, actor, pr, o)
}

func decideOutcome(d *EventData, actor *User, p *Protocol, pr *Proposal) error {
	if err := Permit(actor, p, EventProposalDecided); err != nil {
		return err
	}
	switch d.Outcome {
	case ProposalAccepted:
		if p.Stage != pr.From && (pr.Landed == nil || p.Stage != pr.To) {
			// an import of SUPPORT.md moved it while the proposal was open
			// (the proposal's own patch landing moves it to where it goes)
			return Errorf(ECONFLICT, "%s is at %s, not at %s where %s started: reject or withdraw the proposal", p.ID, p.Stage, pr.From, pr.ID)
		}
		if !pr.Ready {
			return Errorf(ECONFLICT, "%s is not ready: it needs %s", pr.ID, strings.Join(pr.Needs, "; "))
		}
		return nil
	case ProposalRejected:
		return requireText("a reason for the rejection", d.Reason)
	}
	return Errorf(EINVALID, "unknown decision %q: want accepted or rejected", d.Outcome)
}

func decideObjection(cmd *Event, pr *Proposal) error {
	d := &cmd.Data
	if !ValidSlug(d.Objection) {
		return Errorf(EINVALID, "invalid objection name %q: a short name such as ring-size, in lower case", d.Objection)
	}
	if cmd.At.After(pr.Deadline) {
		return Errorf(ECONFLICT, "the window of %s closed at %s; objections must be raised before it closes", pr.ID, FormatAoE(pr.Deadline))
	}
	if o := pr.Objection(d.Objection); o != nil {
		if o.Author == cmd.Actor && o.Status == ObjectionNeedsJustification {
			return nil // the author justifies it
		}
		return Errorf(ECONFLICT, "%s already has an objection named %q", pr.ID, d.Objection)
	}
	return nil
}

func decideObjectionChange(cmd *Event, actor *User, pr *Proposal, o *Objection) error {
	d := &cmd.Data
	switch cmd.Type {
	case EventObjectionAnswered:
		if o.Closed != nil {
			return Errorf(ECONFLICT, "objection %q is %s", o.Name, o.Status)
		}
		return requireText("the answer's text", d.Text)
	case EventObjectionResolved, EventObjectionWithdrawn:
		if actor.Name != o.Author {
			return Errorf(EFORBIDDEN, "only %s, its author, may %s objection %q", o.Author, strings.TrimPrefix(string(cmd.Type), "objection."), o.Name)
		}
	case EventObjectionPoked:
		if actor.Name != pr.Proposer {
			return Errorf(EFORBIDDEN, "only %s, the proposer, may poke the objector of %q", pr.Proposer, o.Name)
		}
		if o.Status != ObjectionOpen || o.Ball != BallObjector {
			return Errorf(ECONFLICT, "objection %q is %s with the ball with the %s: only an objector who holds the ball can be poked", o.Name, o.Status, o.Ball)
		}
		return nil
	case EventObjectionRevived:
		if actor.Name != o.Author {
			return Errorf(EFORBIDDEN, "only %s, its author, may revive objection %q", o.Author, o.Name)
		}
		if o.Status != ObjectionLapsed {
			return Errorf(ECONFLICT, "objection %q is %s, not lapsed", o.Name, o.Status)
		}
		return nil
	case EventObjectionOverruled:
		if err := Permit(actor, nil, cmd.Type); err != nil {
			return err
		}
		if o.Author == actor.Name {
			return Errorf(EFORBIDDEN, "the Czar may not overrule their own objection %q; withdraw it instead", o.Name)
		}
		if err := requireText("a written reason", d.Reason); err != nil {
			return err
		}
	default:
		return Errorf(EINVALID, "unknown command %q", cmd.Type)
	}
	if o.Closed != nil {
		return Errorf(ECONFLICT, "objection %q is %s already", o.Name, o.Status)
	}
	return nil
}
