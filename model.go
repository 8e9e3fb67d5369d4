package pvczar

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"time"
)

// Stage is where a protocol stands in the lifecycle.
type Stage string

// The stages, in order, and the two side states.
const (
	StageDesign     Stage = "design"
	StagePrototype  Stage = "prototype"
	StageProduction Stage = "production"
	StageWithdrawn  Stage = "withdrawn" // side state, final
	StageDeferred   Stage = "deferred"  // side state; the protocol can come back
)

// NextStage returns the stage that follows s, or "" when none does.
func NextStage(s Stage) Stage {
	switch s {
	case StageDesign:
		return StagePrototype
	case StagePrototype:
		return StageProduction
	}
	return ""
}

// NextMove is the stage a proposal on p would move it to: the next stage,
// or production again for a revision of a production protocol (which
// adopts its latest recorded spec); "" when p cannot move.
func (p *Protocol) NextMove() Stage {
	if p.Stage == StageProduction {
		return StageProduction
	}
	return NextStage(p.Stage)
}

// ParseStage accepts the name of a main stage or a side state.
func ParseStage(s string) (Stage, error) {
	switch st := Stage(s); st {
	case StageDesign, StagePrototype, StageProduction, StageWithdrawn, StageDeferred:
		return st, nil
	}
	return "", Errorf(EINVALID, "unknown stage %q: want design, prototype, production, withdrawn or deferred", s)
}

// Role says what a person may do.
type Role string

// The roles, from the most to the least powerful.
const (
	RoleCzar        Role = "czar"        // opens and extends windows, waives gates, overrules, decides
	RoleMaintainer  Role = "maintainer"  // acks count for the quorum
	RoleContributor Role = "contributor" // proposes, answers objections, records evidence for its protocols
	RoleReviewer    Role = "reviewer"    // anyone identified: reviews, objects, holds, comments
	RoleReader      Role = "reader"      // an identified person who only reads
)

// ParseRole accepts a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleCzar, RoleMaintainer, RoleContributor, RoleReviewer, RoleReader:
		return r, nil
	}
	return "", Errorf(EINVALID, "unknown role %q: want czar, maintainer, contributor, reviewer or reader", s)
}

// Rank orders roles so that a check can ask for "at least".
func (r Role) Rank() int {
	switch r {
	case RoleCzar:
		return 4
	case RoleMaintainer:
		return 3
	case RoleContributor:
		return 2
	case RoleReviewer:
		return 1
	}
	return 0
}

// User is a person pvczar knows.
type User struct {
	Name    string    `json:"name"`
	Display string    `json:"display,omitempty"`
	Email   string    `json:"email,omitempty"`
	Role    Role      `json:"role"`
	Since   time.Time `json:"since"`
	// Source is where the latest change to the person came from: a
	// xen.git import ("xen.git:<commit>" of MAINTAINERS) or a person
	// (cli, api, web). An import changes the roles of the people it
	// manages, and only raises those of people managed by hand.
	Source string `json:"source,omitempty"`
	// Away lists the absences the person declared, in time order.
	Away []Absence `json:"away,omitempty"`
}

// Support labels of Xen's SUPPORT.md.
const (
	SupportExperimental = "Experimental"
	SupportTechPreview  = "Tech Preview"
	SupportSupported    = "Supported"
	SupportDeprecated   = "Deprecated"
)

// SupportLabels are SUPPORT.md's labels, from the least supported.
var SupportLabels = []string{SupportExperimental, SupportTechPreview, SupportSupported, SupportDeprecated}

// ParseSupport accepts a SUPPORT.md label, case-insensitively, with "-" or
// "_" for the space.
func ParseSupport(s string) (string, error) {
	for _, l := range SupportLabels {
		if normalizeWord(s) == normalizeWord(l) {
			return l, nil
		}
	}
	return "", Errorf(EINVALID, "unknown support label %q: want Experimental, Tech Preview, Supported or Deprecated", s)
}

// Implementation sides and code bases.
const (
	SideFrontend = "frontend"
	SideBackend  = "backend"
)

// CodeBases are the code bases an implementation may live in.
var CodeBases = []string{"linux", "qemu", "freebsd", "netbsd", "openbsd", "windows", "xen-tools", "other"}

// Series is one version of a patch series posted to a list.
type Series struct {
	MessageID string `json:"message_id"`
	Version   int    `json:"version"`
}

// Implementation is one driver of a protocol in one code base.
type Implementation struct {
	ID             string   `json:"id"` // codebase-side, e.g. "linux-frontend"
	Side           string   `json:"side"`
	CodeBase       string   `json:"codebase"`
	Series         []Series `json:"series,omitempty"`
	Review         string   `json:"review,omitempty"`
	UpstreamCommit string   `json:"upstream_commit,omitempty"`
	Support        string   `json:"support,omitempty"`
	// What xen.git's SUPPORT.md says of it, when it lists it: the name it
	// gives (`QEMU (xen_disk), qcow format`), what follows the label ("with
	// caveats", "security support external"), the entry's text after its
	// status lines, and the commit of the SUPPORT.md read.
	Name        string `json:"name,omitempty"`
	SupportNote string `json:"support_note,omitempty"`
	Caveat      string `json:"caveat,omitempty"`
	Listed      string `json:"listed,omitempty"`
	// Conformance lists the versions of the protocol's spec it conforms
	// to, one entry per version, in version order. In a command, the
	// entries to record: each replaces the one of its version.
	Conformance []Conformance `json:"conformance,omitempty"`
}

// DocRef points at a design document in xen.git.
type DocRef struct {
	Path   string `json:"path"`
	Commit string `json:"commit"`
}

// DocCheck is the recorded result of the design-document check.
type DocCheck struct {
	Passed bool      `json:"passed"`
	Commit string    `json:"commit,omitempty"`
	Note   string    `json:"note,omitempty"`
	At     time.Time `json:"at"`
}

// SpecRecord is a pvspec file recorded for a protocol, with the breaking
// changes the compatibility checker found against the spec of the
// protocol's production decision (computed by whoever records it, with
// pvczar spec diff's rules). The text itself stays in its evidence event
// (SpecText), found again by its digest, so that listings stay small.
type SpecRecord struct {
	Path     string   `json:"path"`
	Commit   string   `json:"commit,omitempty"`
	Version  int      `json:"version"`            // the protocol version the spec describes
	Digest   string   `json:"digest"`             // SHA-256 of the text, hex
	Features []string `json:"features,omitempty"` // the names of the features it declares
	Breaking []string `json:"breaking,omitempty"`
	// Handshake is what pvczar's model checker found of the spec's
	// handshake when it was recorded (nil for a spec recorded before it
	// did).
	Handshake *HandshakeRecord `json:"handshake,omitempty"`
	At        time.Time        `json:"at"`
}

// HandshakeRecord is the verdict of pvczar spec verify on a spec's
// handshake, with the production spec as its old version: every pairing of
// old and new frontend and backend, every combination of features, and the
// reconnections.
type HandshakeRecord struct {
	Steps   int `json:"steps"` // the handshake's steps; 0 when the spec describes none
	Configs int `json:"configs"`
	States  int `json:"states"`
	// Failures are properties the handshake itself breaks: they fail the
	// handshake gate. AfterFaults are those broken only after a
	// reconnection (a backend restart, a resume, a migration): shown, not
	// blocking, as real drivers handle these outside the spec's steps.
	Failures    []string `json:"failures,omitempty"`
	AfterFaults []string `json:"after_faults,omitempty"`
	// Bounded: the search stopped at a bound (states, configurations or
	// time) before it could prove the handshake; Failures says which.
	Bounded bool `json:"bounded,omitempty"`
}

// SpecDigest is the digest a SpecRecord keeps of a spec's text.
func SpecDigest(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// Compatibility is the statement of a protocol's compatibility promises.
type Compatibility struct {
	Backward      string `json:"backward"`
	CrossPlatform string `json:"cross_platform"`
}

// KnownIssue is a problem recorded against a protocol.
type KnownIssue struct {
	ID       int    `json:"id"`
	Text     string `json:"text"`
	Accepted bool   `json:"accepted,omitempty"`
	Reason   string `json:"reason,omitempty"` // why the Czar accepted it
	Closed   bool   `json:"closed,omitempty"`
}

// Waiver records the Czar's decision to let a failed gate pass.
type Waiver struct {
	To     Stage     `json:"to"`
	Gate   string    `json:"gate"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// StageChange is one entry of a protocol's stage history: a decision on a
// proposal, a side state, or a fact imported from xen.git (Imported, with
// the commit it was read at), which no lazy consensus decided.
type StageChange struct {
	Stage    Stage     `json:"stage"`
	At       time.Time `json:"at"`
	By       string    `json:"by"`
	Proposal string    `json:"proposal,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	Imported bool      `json:"imported,omitempty"`
	Commit   string    `json:"commit,omitempty"`
}

// Protocol is a PV protocol and everything recorded about it.
type Protocol struct {
	ID     string   `json:"id"`
	Title  string   `json:"title"`
	Owners []string `json:"owners"`
	// Aliases are names mail subjects use for the protocol (its id always
	// counts), e.g. "PV Calls" for pvcalls.
	Aliases    []string  `json:"aliases,omitempty"`
	Stage      Stage     `json:"stage"`
	StageSince time.Time `json:"stage_since"`
	// Imported is the xen.git commit that added the protocol's header, when
	// the protocol was registered by an import of xen.git; Listed is the
	// commit of the latest SUPPORT.md imported for it.
	Imported     string    `json:"imported,omitempty"`
	Listed       string    `json:"listed,omitempty"`
	ResumeStage  Stage     `json:"resume_stage,omitempty"` // the stage a deferred protocol returns to
	Version      string    `json:"version,omitempty"`
	Header       string    `json:"header,omitempty"`
	DesignDoc    *DocRef   `json:"design_doc,omitempty"`
	DocCheck     *DocCheck `json:"doc_check,omitempty"`
	DesignThread string    `json:"design_thread,omitempty"`
	// Spec is the latest spec recorded; ProductionSpec the one in force
	// since the protocol reached production (or its latest accepted
	// revision), which later specs are compared with.
	Spec            *SpecRecord      `json:"spec,omitempty"`
	ProductionSpec  *SpecRecord      `json:"production_spec,omitempty"`
	Compatibility   *Compatibility   `json:"compatibility,omitempty"`
	KnownIssues     []KnownIssue     `json:"known_issues,omitempty"`
	Implementations []Implementation `json:"implementations,omitempty"`
	Waivers         []Waiver         `json:"waivers,omitempty"`
	History         []StageChange    `json:"history"`
	Proposals       []*Proposal      `json:"proposals,omitempty"`
	// Stale is set when the protocol has sat in prototype longer than the
	// configured limit with no open proposal.
	Stale bool `json:"stale,omitempty"`
	// Clock is the latest instant this protocol's state has been evaluated at.
	Clock time.Time `json:"clock"`
	// LogVersion is the version of the latest logged event of the protocol's
	// stream: the tag (ETag) a client sends back to say which state it saw.
	// It is not part of the state's JSON, which must not depend on whether
	// clock events have been logged yet.
	LogVersion int `json:"-"`

	pending    []Event   // clock events synthesized and not yet in the log
	lastRecord time.Time // the time of the latest logged event
	lastPerson time.Time // the time of the latest logged event made by a person (not the clock)
}

// OpenProposal returns the protocol's open proposal, or nil.
func (p *Protocol) OpenProposal() *Proposal {
	for _, pr := range p.Proposals {
		if pr.Status == ProposalOpen {
			return pr
		}
	}
	return nil
}

// LastRecord is the time of the protocol's latest logged event: a command
// dated before it is refused, since the clock does not run backwards.
func (p *Protocol) LastRecord() time.Time { return p.lastRecord }

// IsOwner reports whether user champions the protocol.
func (p *Protocol) IsOwner(user string) bool {
	for _, o := range p.Owners {
		if o == user {
			return true
		}
	}
	return false
}

// Proposal statuses.
const (
	ProposalOpen      = "open"
	ProposalAccepted  = "accepted"
	ProposalRejected  = "rejected"
	ProposalWithdrawn = "withdrawn"
)

// Proposal is a request to move one protocol to its next stage.
type Proposal struct {
	ID         string    `json:"id"`
	Protocol   string    `json:"protocol"`
	From       Stage     `json:"from"`
	To         Stage     `json:"to"`
	Proposer   string    `json:"proposer"`
	Opened     time.Time `json:"opened"`
	WindowDays int       `json:"window_days"`
	Deadline   time.Time `json:"deadline"` // the last second of the window (23:59:59 AoE)
	Status     string    `json:"status"`
	Decision   *Decision `json:"decision,omitempty"`
	// Thread is the xen-devel thread the proposal adopted (its root's
	// Message-ID), "" for one announced by pvczar; Landed the xen.git
	// commit that applied its patch, once an import found it.
	Thread string   `json:"thread,omitempty"`
	Landed *Landing `json:"landed,omitempty"`

	Positions  []Position   `json:"positions,omitempty"`
	Objections []*Objection `json:"objections,omitempty"`
	Holds      []*Hold      `json:"holds,omitempty"`

	// Revisions are the versions of the proposal's patch, as mail ingest
	// recorded them (patch.revised), oldest first.
	Revisions []Revision `json:"revisions,omitempty"`

	WindowClosed bool         `json:"window_closed"`
	Quorum       Quorum       `json:"quorum"`
	Gates        []GateResult `json:"gates"`
	Ready        bool         `json:"ready"`
	ReadySince   *time.Time   `json:"ready_since,omitempty"`
	Overdue      bool         `json:"overdue,omitempty"`
	Stalled      bool         `json:"stalled,omitempty"`
	// Needs lists, in words, what the proposal still needs to be ready.
	Needs []string `json:"needs,omitempty"`
}

// ClosesAt is the first instant at which the window is closed.
func (pr *Proposal) ClosesAt() time.Time { return pr.Deadline.Add(time.Second) }

// BallHolder names who must act next on an open objection: its author
// when the ball is the objector's, else the proposer.
func (pr *Proposal) BallHolder(o *Objection) string {
	if o.Ball == BallObjector {
		return o.Author
	}
	return pr.Proposer
}

// Objection finds an objection by name.
func (pr *Proposal) Objection(name string) *Objection {
	for _, o := range pr.Objections {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// Decision is the Czar's decision on a proposal.
type Decision struct {
	Outcome string    `json:"outcome"` // accepted or rejected
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Reason  string    `json:"reason,omitempty"`
}

// PositionKind says what a person said.
type PositionKind string

// Position kinds recorded with `ack`, `review` and friends. Objections and
// holds have their own records.
const (
	PositionAck     PositionKind = "ack"
	PositionReview  PositionKind = "review"
	PositionTest    PositionKind = "test"
	PositionAbstain PositionKind = "abstain"
	PositionRecuse  PositionKind = "recuse"
	PositionComment PositionKind = "comment"
)

// ParsePositionKind accepts the name of a position kind.
func ParsePositionKind(s string) (PositionKind, error) {
	switch k := PositionKind(s); k {
	case PositionAck, PositionReview, PositionTest, PositionAbstain, PositionRecuse, PositionComment:
		return k, nil
	}
	return "", Errorf(EINVALID, "unknown position %q: want ack, review, test, abstain, recuse or comment", s)
}

// Position is what one person said about a proposal.
type Position struct {
	Author string       `json:"author"`
	Kind   PositionKind `json:"kind"`
	Role   Role         `json:"role"` // the author's role when they said it
	Text   string       `json:"text,omitempty"`
	At     time.Time    `json:"at"`
	Source string       `json:"source"`
	// MessageID is the mail the position was read from, when it came by
	// mail (its source is "mail:<Message-ID>").
	MessageID string `json:"message_id,omitempty"`
	// Version is the version of the proposal's patch the position was
	// given on (a trailer in a reply to its v2, or to its series' cover
	// letter); 0 when it was given on no patch.
	Version int `json:"version,omitempty"`
}

// Quorum tells whether enough maintainers have acked.
type Quorum struct {
	Need int      `json:"need"`
	Have int      `json:"have"`
	By   []string `json:"by,omitempty"`
	// NotCounted lists the standing acks that do not count, and why.
	NotCounted []UncountedAck `json:"not_counted,omitempty"`
	// Carried lists the counted acks given on an earlier version of the
	// patch, which count because the patch has not changed since.
	Carried []CarriedAck `json:"carried,omitempty"`
}

// UncountedAck is an ack that stands but does not count for the quorum.
type UncountedAck struct {
	Author string `json:"author"`
	Why    string `json:"why"`
}

// Met reports whether the quorum is reached.
func (q Quorum) Met() bool { return q.Have >= q.Need }

// Objection statuses.
const (
	ObjectionOpen               = "open"
	ObjectionNeedsJustification = "needs-justification"
	ObjectionLapsed             = "lapsed"
	ObjectionResolved           = "resolved"
	ObjectionWithdrawn          = "withdrawn"
	ObjectionOverruled          = "overruled"
	BallObjector                = "objector"
	BallProposer                = "proposer"
)

// Objection is a technical objection to a proposal.
type Objection struct {
	Name       string    `json:"name"`
	Author     string    `json:"author"`
	About      string    `json:"about,omitempty"`      // what it is about: a section, field, key, step, implementation
	Resolution string    `json:"resolution,omitempty"` // what would resolve it
	Reason     string    `json:"reason,omitempty"`
	Raised     time.Time `json:"raised"`
	Source     string    `json:"source"`
	Status     string    `json:"status"`
	Ball       string    `json:"ball"` // who must act next: objector or proposer
	BallSince  time.Time `json:"ball_since"`
	Blocking   bool      `json:"blocking"`
	Replies    []Reply   `json:"replies,omitempty"`
	// Pokes are the proposer's reminders to the objector (not answers).
	Pokes  []Reply  `json:"pokes,omitempty"`
	Closed *Closure `json:"closed,omitempty"`
}

// Reply is an answer in an objection's thread.
type Reply struct {
	Author string    `json:"author"`
	Text   string    `json:"text,omitempty"`
	At     time.Time `json:"at"`
	Source string    `json:"source"`
}

// Closure records how an objection stopped being open.
type Closure struct {
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// Hold statuses.
const (
	HoldActive    = "active"
	HoldReleased  = "released"
	HoldExpired   = "expired"
	HoldConverted = "converted" // the holder raised an objection
)

// Hold pauses completion of a proposal for a limited time.
type Hold struct {
	Holder  string    `json:"holder"`
	Placed  time.Time `json:"placed"`
	Expires time.Time `json:"expires"`
	Status  string    `json:"status"`
	Ended   time.Time `json:"ended,omitzero"`
	Reason  string    `json:"reason,omitempty"`
}

// GateResult is one gate of a transition, evaluated.
type GateResult struct {
	Gate   string `json:"gate"`
	Passed bool   `json:"passed"`
	Waived bool   `json:"waived,omitempty"`
	Detail string `json:"detail"`
}

// OK reports whether the gate lets the proposal through.
func (g GateResult) OK() bool { return g.Passed || g.Waived }

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// ValidSlug reports whether s can name a protocol, a user or an objection:
// lower-case letters, digits, '.', '_' and '-', starting with a letter or digit.
func ValidSlug(s string) bool { return slugPattern.MatchString(s) }

func normalizeWord(s string) string {
	b := []byte(s)
	out := b[:0]
	for _, c := range b {
		switch {
		case c == ' ' || c == '-' || c == '_':
			continue
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		default:
			out = append(out, c)
		}
	}
	return string(out)
}
