package http

import (
	"strings"

	"github.com/xen-pvczar/pvczar"
)

// commandRoute maps one kind of command to an HTTP route. The server, the
// client, the web forms and the OpenAPI document are all built from the
// table below, so they cannot drift apart.
type commandRoute struct {
	Type    pvczar.EventType
	Method  string
	Path    string // under /api/v1; {protocol}, {proposal}, {objection}, {issue}, {user} fill the command's fields of the same names
	Summary string
	Fields  []string // the JSON body's fields, named as in pvczar.EventData
	MaxBody int64    // a larger body limit than maxBodyBytes, for a command that carries a whole spec
}

var commandRoutes = []commandRoute{
	{Type: pvczar.EventUserAdded, Method: "POST", Path: "/users", Summary: "Add a person with a role (the Czar).",
		Fields: []string{"user", "role", "display", "email"}},
	{Type: pvczar.EventUserRoleChanged, Method: "PUT", Path: "/users/{user}/role", Summary: "Change a person's role (the Czar).",
		Fields: []string{"role"}},
	{Type: pvczar.EventUserEdited, Method: "PATCH", Path: "/users/{user}", Summary: "Change a person's mail address or full name (the Czar, or the person).",
		Fields: []string{"email", "display"}},
	{Type: pvczar.EventUserAway, Method: "POST", Path: "/absences", Summary: "Declare your absence, before it starts: from and until are its first and last days (2026-12-20), whole days AoE. While you are away the lapse clock of your objections stops; at most 30 days a calendar year.",
		Fields: []string{"from", "until", "reason"}},
	{Type: pvczar.EventUserAwayCancelled, Method: "POST", Path: "/absences/cancel", Summary: "Cancel your absence that starts on from (a date), before it starts.",
		Fields: []string{"from"}},

	{Type: pvczar.EventProtocolRegistered, Method: "POST", Path: "/protocols", Summary: "Register a protocol (at design; the Czar may import one at a later stage with stage and since).",
		Fields: []string{"protocol", "title", "owners", "aliases", "stage", "since", "version", "header", "reason"}},
	{Type: pvczar.EventProtocolEdited, Method: "PATCH", Path: "/protocols/{protocol}", Summary: "Change a protocol's title, owners, mail aliases or header.",
		Fields: []string{"title", "owners", "aliases", "header"}},
	{Type: pvczar.EventProtocolWithdrawn, Method: "POST", Path: "/protocols/{protocol}/withdraw", Summary: "Withdraw a protocol for good.",
		Fields: []string{"reason"}},
	{Type: pvczar.EventProtocolDeferred, Method: "POST", Path: "/protocols/{protocol}/defer", Summary: "Defer a protocol; it can be resumed.",
		Fields: []string{"reason"}},
	{Type: pvczar.EventProtocolResumed, Method: "POST", Path: "/protocols/{protocol}/resume", Summary: "Resume a deferred protocol at the stage it had.",
		Fields: []string{"reason"}},
	{Type: pvczar.EventImplementationRecorded, Method: "PUT", Path: "/protocols/{protocol}/implementations", Summary: "Record or update an implementation (one per code base and side). Its conformance lists the versions of the protocol's recorded spec it conforms to (spec_version), with which of the features that version declares (features), and may carry the result of a conformance run (run: protocol, implementation, spec_version, features, passed, tool, tool_version, date), which gives both; each entry replaces the one of its version.",
		Fields: []string{"implementation"}, MaxBody: maxImplementationBytes},
	{Type: pvczar.EventEvidenceRecorded, Method: "POST", Path: "/protocols/{protocol}/evidence", Summary: "Record evidence: design-doc (path, commit), doc-check (doc_text, the document; path, its name; commit; spec_text, a spec it must agree with), design-thread (message_id), version (version), compatibility (backward, cross_platform), spec (spec_text, path, commit). pvczar runs the checks itself: a doc-check's result and a spec's breaking changes against the production spec are its own.",
		Fields:  []string{"evidence", "path", "commit", "message_id", "doc_text", "version", "backward", "cross_platform", "spec_text"},
		MaxBody: maxEvidenceBytes},
	{Type: pvczar.EventKnownIssueAdded, Method: "POST", Path: "/protocols/{protocol}/known-issues", Summary: "Record a known issue.",
		Fields: []string{"text"}},
	{Type: pvczar.EventKnownIssueAccepted, Method: "POST", Path: "/protocols/{protocol}/known-issues/{issue}/accept", Summary: "Accept a known issue for production, with a reason (the Czar).",
		Fields: []string{"reason"}},
	{Type: pvczar.EventKnownIssueClosed, Method: "POST", Path: "/protocols/{protocol}/known-issues/{issue}/close", Summary: "Close a known issue.",
		Fields: []string{"reason"}},
	{Type: pvczar.EventGateWaived, Method: "POST", Path: "/protocols/{protocol}/waivers", Summary: "Let a failed gate pass, with a written reason (the Czar).",
		Fields: []string{"gate", "to", "reason"}},
	{Type: pvczar.EventProposalOpened, Method: "POST", Path: "/protocols/{protocol}/proposals", Summary: "Open a proposal to move the protocol to its next stage; this opens the lazy-consensus window. With thread (a Message-ID), the proposal adopts that xen-devel thread, a SUPPORT.md patch or a design RFC: replies in it count as replies to pvczar's announcement do. One open proposal per thread.",
		Fields: []string{"to", "days", "reason", "thread"}},

	{Type: pvczar.EventProposalWithdrawn, Method: "POST", Path: "/proposals/{proposal}/withdraw", Summary: "Withdraw a proposal (its proposer or the Czar).",
		Fields: []string{"reason"}},
	{Type: pvczar.EventWindowExtended, Method: "POST", Path: "/proposals/{proposal}/extend", Summary: "Extend the window by a number of days (the Czar).",
		Fields: []string{"days", "reason"}},
	{Type: pvczar.EventProposalDecided, Method: "POST", Path: "/proposals/{proposal}/decision", Summary: "Decide a proposal: outcome accepted (when ready) or rejected (with a reason) (the Czar).",
		Fields: []string{"outcome", "reason"}},
	{Type: pvczar.EventPositionRecorded, Method: "POST", Path: "/proposals/{proposal}/positions", Summary: "Record a position: ack, review, test, abstain, recuse or comment.",
		Fields: []string{"kind", "text"}},
	{Type: pvczar.EventObjectionRaised, Method: "POST", Path: "/proposals/{proposal}/objections", Summary: "Raise a technical objection before the window closes; it blocks when it says what it is about, what would resolve it, and why.",
		Fields: []string{"objection", "about", "resolution", "reason"}},
	{Type: pvczar.EventObjectionAnswered, Method: "POST", Path: "/proposals/{proposal}/objections/{objection}/answer", Summary: "Answer an objection; the proposer's answer passes the ball to the objector, the objector's passes it back.",
		Fields: []string{"text"}},
	{Type: pvczar.EventObjectionResolved, Method: "POST", Path: "/proposals/{proposal}/objections/{objection}/resolve", Summary: "Mark your objection resolved.",
		Fields: []string{"reason"}},
	{Type: pvczar.EventObjectionWithdrawn, Method: "POST", Path: "/proposals/{proposal}/objections/{objection}/withdraw", Summary: "Withdraw your objection.",
		Fields: []string{"reason"}},
	{Type: pvczar.EventObjectionRevived, Method: "POST", Path: "/proposals/{proposal}/objections/{objection}/revive", Summary: "Revive your lapsed objection before the Czar decides.",
		Fields: []string{"reason"}},
	{Type: pvczar.EventObjectionOverruled, Method: "POST", Path: "/proposals/{proposal}/objections/{objection}/overrule", Summary: "Overrule an objection, with a written reason (the Czar).",
		Fields: []string{"reason"}},
	{Type: pvczar.EventObjectionPoked, Method: "POST", Path: "/proposals/{proposal}/objections/{objection}/poke", Summary: "Remind the objector who holds the ball, by mail (the proposer). A poke is not an answer: the ball stays with the objector.",
		Fields: []string{"text"}},
	{Type: pvczar.EventHoldPlaced, Method: "POST", Path: "/proposals/{proposal}/holds", Summary: "Place a hold while you prepare an objection.",
		Fields: []string{"reason"}},
	{Type: pvczar.EventHoldReleased, Method: "POST", Path: "/proposals/{proposal}/holds/release", Summary: "Release your hold (the Czar may release anyone's, naming the holder).",
		Fields: []string{"holder"}},
}

// routeFor returns the route of a command type.
func routeFor(t pvczar.EventType) (commandRoute, bool) {
	for _, r := range commandRoutes {
		if r.Type == t {
			return r, true
		}
	}
	return commandRoute{}, false
}

// params returns the names of the placeholders in a route path.
func params(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, seg[1:len(seg)-1])
		}
	}
	return out
}
