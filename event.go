package pvczar

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// EventType names what happened.
type EventType string

// Events made by people (through the CLI, the API or mail).
const (
	EventUserAdded       EventType = "user.added"
	EventUserRoleChanged EventType = "user.role_changed"
	EventUserEdited      EventType = "user.edited"
	// EventUserAway: a person declares, before it starts, that they will be
	// away from one day (From) to another (Until), whole AoE days; the lapse
	// clock of their objections stops meanwhile (Registry.LapsesAt).
	// EventUserAwayCancelled takes back such a declaration, named by its
	// first day, before it starts.
	EventUserAway          EventType = "user.away"
	EventUserAwayCancelled EventType = "user.away_cancelled"

	EventProtocolRegistered EventType = "protocol.registered"
	EventProtocolEdited     EventType = "protocol.edited"
	EventProtocolWithdrawn  EventType = "protocol.withdrawn"
	EventProtocolDeferred   EventType = "protocol.deferred"
	EventProtocolResumed    EventType = "protocol.resumed"

	EventImplementationRecorded EventType = "implementation.recorded"
	EventEvidenceRecorded       EventType = "evidence.recorded"
	EventKnownIssueAdded        EventType = "known_issue.added"
	EventKnownIssueAccepted     EventType = "known_issue.accepted"
	EventKnownIssueClosed       EventType = "known_issue.closed"
	EventGateWaived             EventType = "gate.waived"

	EventProposalOpened    EventType = "proposal.opened"
	EventProposalWithdrawn EventType = "proposal.withdrawn"
	EventWindowExtended    EventType = "window.extended"
	EventProposalDecided   EventType = "proposal.decided"
	EventPositionRecorded  EventType = "position.recorded"

	EventObjectionRaised    EventType = "objection.raised"
	EventObjectionAnswered  EventType = "objection.answered"
	EventObjectionResolved  EventType = "objection.resolved"
	EventObjectionWithdrawn EventType = "objection.withdrawn"
	EventObjectionRevived   EventType = "objection.revived"
	EventObjectionOverruled EventType = "objection.overruled"
	// EventObjectionPoked: the proposer reminds an objector who holds the
	// ball; pvczar mails the reminder. It is not an answer: the ball, and
	// the lapse clock, stay where they were.
	EventObjectionPoked EventType = "objection.poked"

	EventHoldPlaced   EventType = "hold.placed"
	EventHoldReleased EventType = "hold.released"
)

// EventSupportImported records what one revision of xen.git's SUPPORT.md
// lists for a protocol: its implementations with their labels, replacing
// those an earlier revision listed. When the labels imply another stage
// (see SupportStage) the protocol moves, as an imported move, never a
// lazy-consensus decision. Its source is "xen.git:<commit>".
const EventSupportImported EventType = "support.imported"

// EventMailUnapplied records a line of mail (a command or a trailer)
// that carried a lifecycle intent and that pvczar could not apply, with
// the reason, so that the next digest lists it for its sender: without it
// the sender would believe it counted. Only mail ingest writes it (no
// route of the API or the web takes it): its source is the mail's
// ("mail:<Message-ID>"), its key the Message-ID and the line, its time the
// mail's date, and its actor the sender (their pvczar name, or their
// address when pvczar does not know them). It lives in MailStream and
// changes nothing in the lifecycle. See the mail package (ReadForProposal)
// for which lines are listed.
const EventMailUnapplied EventType = "mail.unapplied"

// EventPatchRevised records that the patch a proposal follows is now at
// version PatchVersion, whose stable patch-id is PatchID (package
// mail/patch), posted in the mail MessageID; acks given on an earlier
// version count only while the patch-id stays the same (see Revision).
// Only mail ingest writes it: its source is the mail's, its key from the
// Message-ID, its actor the sender (their pvczar name, or ActorMail). It
// lives in the protocol's stream, unlike mail.unapplied: it changes which
// acks count, so a Czar who saw the quorum met must not decide on that
// view once a changed patch has made it unmet, and the stream's version,
// which forms and API clients hold as an ETag, has to move.
const EventPatchRevised EventType = "patch.revised"

// Events made by the clock. Their time is the instant the rule fired, not the
// instant they were written, so a replay gives the same result.
const (
	EventWindowClosed    EventType = "window.closed"
	EventObjectionLapsed EventType = "objection.lapsed"
	EventHoldExpired     EventType = "hold.expired"
	EventProposalStalled EventType = "proposal.stalled"
	EventDecisionOverdue EventType = "decision.overdue"
	EventProtocolStale   EventType = "protocol.stale"
	EventProposalReady   EventType = "proposal.ready"
)

// IsClock reports whether events of this type are made by the clock.
func (t EventType) IsClock() bool {
	switch t {
	case EventWindowClosed, EventObjectionLapsed, EventHoldExpired, EventProposalStalled,
		EventDecisionOverdue, EventProtocolStale, EventProposalReady:
		return true
	}
	return false
}

// Sources of events other than mail (whose source is "mail:<Message-ID>")
// and xen.git (SourceXenPrefix).
const (
	SourceCLI   = "cli"
	SourceAPI   = "api"
	SourceWeb   = "web"
	SourceClock = "clock"
)

// SourceMailPrefix starts the source of an event made from a mail; the
// Message-ID follows.
const SourceMailPrefix = "mail:"

// SourceXenPrefix starts the source of an event read from xen.git:
// "xen.git:<commit>".
const SourceXenPrefix = "xen.git:"

// IsImported reports whether the event was read from xen.git.
func (e Event) IsImported() bool { return strings.HasPrefix(e.Source, SourceXenPrefix) }

// UsersStream is the stream that holds the user events; every protocol has a
// stream of its own (see ProtocolStream).
const UsersStream = "users"

// MailStream is the stream that holds the mail.unapplied and
// support.candidate events: they
// belong to no protocol (a mail may name one that does not exist), and in
// a protocol's stream they would move its version, which web forms and
// API clients hold as an ETag.
const MailStream = "mail"

// StreamOf is the stream an event of type t with data d belongs to: the
// people's, the mail's that is no protocol's, or its protocol's.
func StreamOf(t EventType, d EventData) string {
	switch t {
	case EventUserAdded, EventUserRoleChanged, EventUserEdited, EventUserAway, EventUserAwayCancelled:
		return UsersStream
	case EventMailUnapplied, EventSupportCandidate:
		return MailStream
	}
	return ProtocolStream(Event{Data: d}.ProtocolID())
}

// ProtocolStream names the stream of one protocol's events.
func ProtocolStream(id string) string { return "protocol:" + id }

// Event is one entry of the append-only log.
type Event struct {
	Seq     int64     `json:"seq,omitempty"`     // position in the whole log, set by the store
	Stream  string    `json:"stream,omitempty"`  // the aggregate it belongs to
	Version int       `json:"version,omitempty"` // position within its stream
	Key     string    `json:"key,omitempty"`     // deduplication key for clock and mail events
	Type    EventType `json:"type"`
	At      time.Time `json:"at"`    // when it happened
	Actor   string    `json:"actor"` // who did it ("clock" for the clock)
	Source  string    `json:"source"`
	Data    EventData `json:"data"`
}

// EventData holds the facts of an event; each type uses the fields it needs.
type EventData struct {
	User    string `json:"user,omitempty"`
	Display string `json:"display,omitempty"`
	Email   string `json:"email,omitempty"`
	Role    Role   `json:"role,omitempty"`

	Protocol string     `json:"protocol,omitempty"`
	Title    string     `json:"title,omitempty"`
	Owners   []string   `json:"owners,omitempty"`
	Aliases  []string   `json:"aliases,omitempty"`
	Stage    Stage      `json:"stage,omitempty"`
	Since    *time.Time `json:"since,omitempty"`
	Version  string     `json:"version,omitempty"`
	Header   string     `json:"header,omitempty"`

	Implementation  *Implementation  `json:"implementation,omitempty"`
	Implementations []Implementation `json:"implementations,omitempty"` // support.imported: every implementation SUPPORT.md lists

	Evidence string `json:"evidence,omitempty"` // design-doc, doc-check, design-thread, version, compatibility, spec
	// SpecText is a spec's text: the spec recorded, or for a doc-check the
	// spec the document was checked against.
	SpecText string `json:"spec_text,omitempty"`
	// DocText is the design document a doc-check checked.
	DocText     string `json:"doc_text,omitempty"`
	SpecVersion int    `json:"spec_version,omitempty"`
	// SpecFeatures are the names of the features a spec declares, read
	// from it by pvczar (package verify), never given by a client.
	SpecFeatures []string `json:"spec_features,omitempty"`
	// Handshake is the model checker's verdict on a spec's handshake,
	// computed by pvczar (package verify), never taken from a client.
	Handshake *HandshakeRecord `json:"handshake,omitempty"`
	// Breaking lists a spec's breaking changes against the production spec
	// whose digest is Baseline. Both, like a doc-check's Passed and Text,
	// are pvczar's findings (package verify), never a client's.
	Breaking      []string `json:"breaking,omitempty"`
	Baseline      string   `json:"baseline,omitempty"`
	Path          string   `json:"path,omitempty"`
	Commit        string   `json:"commit,omitempty"`
	MessageID     string   `json:"message_id,omitempty"`
	Passed        *bool    `json:"passed,omitempty"`
	Backward      string   `json:"backward,omitempty"`
	CrossPlatform string   `json:"cross_platform,omitempty"`
	Issue         int      `json:"issue,omitempty"`

	To   Stage  `json:"to,omitempty"`
	Gate string `json:"gate,omitempty"`

	Proposal string       `json:"proposal,omitempty"`
	Deadline *time.Time   `json:"deadline,omitempty"`
	Days     int          `json:"days,omitempty"`
	Kind     PositionKind `json:"kind,omitempty"`
	Outcome  string       `json:"outcome,omitempty"`

	Objection  string `json:"objection,omitempty"`
	About      string `json:"about,omitempty"`
	Resolution string `json:"resolution,omitempty"`
	Holder     string `json:"holder,omitempty"`

	// From and Until are the first and last days of an absence, as dates
	// ("2026-12-20"): whole days Anywhere on Earth.
	From  string `json:"from,omitempty"`
	Until string `json:"until,omitempty"`

	Text   string `json:"text,omitempty"`
	Reason string `json:"reason,omitempty"`

	// Subject and Line are a mail.unapplied's mail subject and the line
	// of its body that was not applied, as written.
	Subject string `json:"subject,omitempty"`
	Line    string `json:"line,omitempty"`

	// Thread is the Message-ID of the xen-devel thread a proposal adopts
	// (proposal.opened), without angle brackets.
	Thread string `json:"thread,omitempty"`
	// Changes are a support.candidate's changes to SUPPORT.md's labels.
	Changes []LabelChange `json:"changes,omitempty"`
	// PatchVersion is the version of a proposal's patch: the one a
	// patch.revised records, or the one a position was given on. PatchID
	// is a patch.revised's stable patch-id, 40 hex digits.
	PatchVersion int    `json:"patch_version,omitempty"`
	PatchID      string `json:"patch_id,omitempty"`
}

// Describe returns a one-line account of the event for logs and histories.
func (e Event) Describe() string {
	d := e.Data
	var s string
	switch e.Type {
	case EventUserAdded:
		s = fmt.Sprintf("added user %s as %s", d.User, d.Role)
	case EventUserRoleChanged:
		s = fmt.Sprintf("made %s a %s", d.User, d.Role)
	case EventUserEdited:
		s = fmt.Sprintf("edited user %s", d.User)
	case EventUserAway:
		s = fmt.Sprintf("%s will be away from %s to %s (AoE days)", d.User, d.From, d.Until)
	case EventUserAwayCancelled:
		s = fmt.Sprintf("%s cancelled the absence from %s", d.User, d.From)
	case EventSupportImported:
		s = fmt.Sprintf("SUPPORT.md at %s lists %d implementation(s) of %s", ShortCommit(d.Commit), len(d.Implementations), d.Protocol)
		if d.Stage != "" {
			s += fmt.Sprintf("; imported move to %s", d.Stage)
		}
	case EventProtocolRegistered:
		s = fmt.Sprintf("registered %s (%s) at stage %s", d.Protocol, d.Title, d.Stage)
	case EventProtocolEdited:
		s = fmt.Sprintf("edited %s", d.Protocol)
	case EventProtocolWithdrawn, EventProtocolDeferred, EventProtocolResumed:
		s = fmt.Sprintf("%s %s", strings.TrimPrefix(string(e.Type), "protocol."), d.Protocol)
	case EventImplementationRecorded:
		id, conforms := "?", ""
		if d.Implementation != nil {
			id = d.Implementation.ID
			for _, c := range d.Implementation.Conformance {
				conforms += "; conforms to " + c.Describe()
			}
		}
		s = fmt.Sprintf("recorded implementation %s of %s%s", id, d.Protocol, conforms)
	case EventEvidenceRecorded:
		s = fmt.Sprintf("recorded %s for %s", d.Evidence, d.Protocol)
	case EventKnownIssueAdded:
		s = fmt.Sprintf("added known issue #%d to %s: %s", d.Issue, d.Protocol, d.Text)
	case EventKnownIssueAccepted:
		s = fmt.Sprintf("accepted known issue #%d of %s", d.Issue, d.Protocol)
	case EventKnownIssueClosed:
		s = fmt.Sprintf("closed known issue #%d of %s", d.Issue, d.Protocol)
	case EventGateWaived:
		s = fmt.Sprintf("waived gate %s of %s for %s", d.Gate, d.Protocol, d.To)
	case EventProposalOpened:
		s = fmt.Sprintf("proposed %s for %s; window closes %s", d.Proposal, d.To, formatDeadline(d.Deadline))
		if d.Thread != "" {
			s += fmt.Sprintf("; on the thread <%s>", d.Thread)
		}
	case EventProposalLanded:
		s = fmt.Sprintf("the change of %s landed in xen.git: %s", d.Proposal, ShortCommit(d.Commit))
	case EventSupportCandidate:
		s = fmt.Sprintf("SUPPORT.md patch in mail %s: %d status change(s)", d.MessageID, len(d.Changes))
	case EventProposalWithdrawn:
		s = fmt.Sprintf("withdrew proposal %s", d.Proposal)
	case EventWindowExtended:
		s = fmt.Sprintf("extended %s by %d days to %s", d.Proposal, d.Days, formatDeadline(d.Deadline))
	case EventProposalDecided:
		s = fmt.Sprintf("%s %s", d.Outcome, d.Proposal)
	case EventPositionRecorded:
		s = fmt.Sprintf("%s on %s", d.Kind, d.Proposal)
		if d.PatchVersion > 0 {
			s += fmt.Sprintf(" (given on v%d of its patch)", d.PatchVersion)
		}
	case EventObjectionRaised:
		s = fmt.Sprintf("objected to %s: %s", d.Proposal, d.Objection)
	case EventHoldPlaced:
		s = fmt.Sprintf("placed a hold on %s", d.Proposal)
	case EventHoldReleased, EventHoldExpired:
		s = fmt.Sprintf("%s: hold of %s on %s", strings.ReplaceAll(string(e.Type), ".", " "), d.Holder, d.Proposal)
	case EventObjectionAnswered, EventObjectionResolved, EventObjectionWithdrawn, EventObjectionRevived, EventObjectionPoked,
		EventObjectionOverruled, EventObjectionLapsed:
		s = fmt.Sprintf("%s: %s on %s", strings.ReplaceAll(string(e.Type), ".", " "), d.Objection, d.Proposal)
	case EventWindowClosed:
		// The window's last second is still in time: it closes the second after.
		s = fmt.Sprintf("window closed: %s, after its last second, %s", d.Proposal, FormatAoE(e.At.Add(-time.Second)))
	case EventMailUnapplied:
		s = fmt.Sprintf("not applied from mail %s: %q", d.MessageID, WithoutAddresses(d.Line))
	case EventPatchRevised:
		s = fmt.Sprintf("the patch of %s is at v%d (patch-id %s, mail %s)", d.Proposal, d.PatchVersion, ShortCommit(d.PatchID), d.MessageID)
	case EventProposalStalled, EventDecisionOverdue:
		s = fmt.Sprintf("%s: %s", strings.ReplaceAll(string(e.Type), ".", " "), d.Proposal)
	default:
		s = fmt.Sprintf("%s: %s", strings.ReplaceAll(string(e.Type), ".", " "), d.Protocol)
	}
	if d.Reason != "" {
		s += " (" + d.Reason + ")"
	}
	return s
}

// formatDeadline shows a deadline that a damaged log may lack.
func formatDeadline(t *time.Time) string {
	if t == nil {
		return "(no deadline recorded)"
	}
	return FormatAoE(*t)
}

// NewestFirst orders events as the CLI's log and the Activity page show
// them: by their time, newest first, and by their place in the log among
// events of the same second. A clock event logged late (a tick run after
// its instant) thus stands at its time, not where it was written.
func NewestFirst(events []Event) {
	slices.SortStableFunc(events, func(a, b Event) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return cmp.Compare(b.Seq, a.Seq)
	})
}

// EventFilter selects events from the log.
type EventFilter struct {
	Stream   string // "" for every stream
	Proposal string // only events about this proposal
	AfterSeq int64  // only events after this position
	Before   int64  // only events before this position (0: no bound)
	Limit    int    // 0 for no limit
	Newest   bool   // newest first (with Limit: the latest events)
}

// Service is what pvczar offers to its front ends: a store of the log, local
// or remote. Every method returns *Error values with the codes of this package.
type Service interface {
	// Act validates cmd (an event without Seq and Stream) against the state
	// at cmd.At and appends the resulting event. A non-zero cmd.Version is
	// the version of the command's stream the caller saw (an ETag); if the
	// stream has moved on since, Act fails with ESTALE. Anyone may call it;
	// the rules decide by cmd.Actor. Errors: EINVALID, ENOTFOUND, ECONFLICT,
	// EUNAUTHORIZED, EFORBIDDEN, ESTALE.
	Act(ctx context.Context, cmd Event) (Event, error)
	// Tick computes the clock events due at now and, unless dryRun, appends
	// them, each exactly once however many callers tick at the same time.
	Tick(ctx context.Context, now time.Time, dryRun bool) ([]Event, error)
	// Registry returns the whole state evaluated at now.
	Registry(ctx context.Context, now time.Time) (*Registry, error)
	// Events returns logged events in log order.
	Events(ctx context.Context, f EventFilter) ([]Event, error)
	// Verify refolds the log and compares it with the stored projection; it
	// returns the differences, none when they agree.
	Verify(ctx context.Context) ([]string, error)
	// Config returns the lifecycle numbers in force.
	Config(ctx context.Context) (Config, error)
}

// ProtocolID returns the protocol an event or command is about: its
// protocol field, or the protocol part of its proposal id.
func (e Event) ProtocolID() string {
	if e.Data.Protocol != "" {
		return e.Data.Protocol
	}
	if i := strings.LastIndexByte(e.Data.Proposal, '-'); i > 0 {
		return e.Data.Proposal[:i]
	}
	return ""
}
