package mail

import (
	"fmt"
	"slices"
	"strings"

	"github.com/xen-pvczar/pvczar"
)

// Result is what a mail means for the lifecycle: the commands to
// record, with the lines they were read from, notes on what did not count
// and why, and the lines that did not count, to list in the next digest.
type Result struct {
	Proposal string
	Commands []pvczar.Event
	// Lines holds the line of the body (from 1) that each command was
	// read from; 0 for an answer, which a reply makes by being one.
	Lines []int
	Notes []string
	// Unapplied holds a mail.unapplied event for each command or trailer
	// that the reading refused; one that the rules refuse when it is
	// recorded gets its own from UnappliedEvent.
	Unapplied []pvczar.Event
}

// ReadForProposal turns a mail that belongs to proposal into commands, each
// acting as the sender at the mail's date, with the Message-ID as source
// and a deduplication key, so that ingesting it again records nothing new.
//
//   - verified trailers (the sender's own) become positions: Acked-by an
//     ack, Reviewed-by a review, Tested-by a test, Nacked-by a comment (a
//     bare NAK does not block); unverified ones are noted and do not count;
//   - a command may name the proposal ("Objection: cameraif-1 NAME"): the
//     mail then counts for it wherever on the list it is written;
//   - "Objection: NAME" raises an objection; its following lines are the
//     reason, except lines "About: ..." and "Resolution: ...", which say what
//     it is about and what would resolve it (all three make it block);
//   - Objection-Resolved, Objection-Withdrawn, Hold and Release do what
//     their CLI twins do;
//   - a reply below an objection's mail by the proposer, or by the
//     objector, answers it: the ball passes to the other side.
//
// Every command or trailer line that does not count (its sender is not a
// pvczar user, the proposal is unknown, the trailer is not the sender's,
// the command names another proposal) gets a mail.unapplied event in
// Unapplied, so that the sender learns it from the next digest. Only mail
// that belongs to a proposal is read here: a trailer elsewhere on the list
// (a non-user's Acked-by on a patch) says nothing to pvczar and is not
// listed, or the digest would list most of the list's review traffic. An
// answer made by a reply, not by a line, is never listed.
func ReadForProposal(reg *pvczar.Registry, read Reading, proposal string) Result {
	m := read.Mail
	res := Result{Proposal: proposal}
	trailers, commands := read.Trailers, read.Commands
	unapplied := func(line int, reason string) {
		res.Unapplied = append(res.Unapplied, UnappliedEvent(reg, m, proposal, line, reason))
	}
	// none lists every line, in body order, as not applied for reason.
	none := func(reason string) {
		var lines []int
		for _, tr := range trailers {
			lines = append(lines, tr.Line)
		}
		for _, c := range commands {
			lines = append(lines, c.Line)
		}
		slices.Sort(lines)
		for _, line := range lines {
			unapplied(line, reason)
		}
	}
	sender := reg.UserByEmail(m.From.Email)
	if sender == nil {
		res.Notes = append(res.Notes, fmt.Sprintf("sender %s is not a pvczar user: nothing counts", m.From.Email))
		// Not the address: the digest is public, and the events show
		// addresses to those signed in only.
		none("the sender's address is not a pvczar user's (the Czar adds users and their addresses)")
		return res
	}
	_, pr, err := reg.Proposal(proposal)
	if err != nil {
		res.Notes = append(res.Notes, err.Error())
		none(pvczar.ErrorMessage(err))
		return res
	}
	add := func(t pvczar.EventType, d pvczar.EventData, line int) {
		d.Proposal = proposal
		res.Commands = append(res.Commands, pvczar.Event{Type: t, At: m.Date, Actor: sender.Name, Source: pvczar.SourceMailPrefix + m.MessageID,
			Key: fmt.Sprintf("%s%s/%d", pvczar.SourceMailPrefix, m.MessageID, len(res.Commands)+1), Data: d})
		res.Lines = append(res.Lines, line)
	}
	// A trailer in a reply to a patch the proposal follows is given on
	// that patch's version (a reply to the cover letter, on the series').
	version := 0
	if read.Tagged && pr.Patch() != nil {
		version = read.Tags.Version
	}
	for _, tr := range trailers {
		if !tr.Verified {
			res.Notes = append(res.Notes, fmt.Sprintf("line %d: %s by %s %s is not the sender's: recorded, not counted", tr.Line, tr.Kind, tr.Person.Name, tr.Person.Email))
			unapplied(tr.Line, "a trailer counts only in the mail of the person it names, not in another's")
			continue
		}
		kind, text := tr.Kind, ""
		if kind == PositionNack {
			kind, text = pvczar.PositionComment, "NAK (Nacked-by in mail)"
		}
		add(pvczar.EventPositionRecorded, pvczar.EventData{Kind: kind, Text: text, PatchVersion: version}, tr.Line)
	}
	for _, c := range commands {
		if c.Proposal != "" && c.Proposal != proposal {
			res.Notes = append(res.Notes, fmt.Sprintf("line %d: %s names %s, but the mail is about %s: not counted", c.Line, c.Kind, c.Proposal, proposal))
			unapplied(c.Line, fmt.Sprintf("it names %s, but the mail is about %s", c.Proposal, proposal))
			continue
		}
		switch c.Kind {
		case CommandObjection:
			about, resolution, reason := splitObjection(c.Reason)
			if about == "" || resolution == "" || reason == "" {
				res.Notes = append(res.Notes, fmt.Sprintf("line %d: objection %s does not say %s: recorded, it does not block until its author justifies it",
					c.Line, c.Name, missingParts(about, resolution, reason)))
			}
			add(pvczar.EventObjectionRaised, pvczar.EventData{Objection: c.Name, About: about, Resolution: resolution, Reason: reason}, c.Line)
		case CommandObjectionResolved:
			add(pvczar.EventObjectionResolved, pvczar.EventData{Objection: c.Name}, c.Line)
		case CommandObjectionWithdrawn:
			add(pvczar.EventObjectionWithdrawn, pvczar.EventData{Objection: c.Name}, c.Line)
		case CommandHold:
			add(pvczar.EventHoldPlaced, pvczar.EventData{Reason: "hold placed by mail"}, c.Line)
		case CommandRelease:
			add(pvczar.EventHoldReleased, pvczar.EventData{}, c.Line)
		}
	}
	if len(commands) == 0 {
		// A reply in an objection's thread moves the ball.
		ancestors := map[string]bool{m.InReplyTo: true}
		for _, id := range m.References {
			ancestors[id] = true
		}
		for _, o := range pr.Objections {
			from, ok := strings.CutPrefix(o.Source, pvczar.SourceMailPrefix)
			if !ok || !ancestors[from] || o.Status != pvczar.ObjectionOpen {
				continue
			}
			if sender.Name == pr.Proposer || sender.Name == o.Author {
				add(pvczar.EventObjectionAnswered, pvczar.EventData{Objection: o.Name, Text: firstLines(m.Body, 3)}, 0)
			}
		}
	}
	return res
}

// splitObjection separates "About:" and "Resolution:" lines from the other
// lines of an objection, which are its reason.
func splitObjection(text string) (about, resolution, reason string) {
	var rest []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		lower := strings.ToLower(line)
		switch {
		case strings.HasPrefix(lower, "about:"):
			about = strings.TrimSpace(line[len("about:"):])
		case strings.HasPrefix(lower, "resolution:"):
			resolution = strings.TrimSpace(line[len("resolution:"):])
		case line != "":
			rest = append(rest, line)
		}
	}
	return about, resolution, strings.Join(rest, " ")
}

// firstLines returns the first n non-empty, unquoted lines of a body.
func firstLines(body string, n int) string {
	var out []string
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, ">") || strings.HasSuffix(line, "wrote:") {
			continue
		}
		if out = append(out, line); len(out) == n {
			break
		}
	}
	return strings.Join(out, " ")
}

// missingParts names what an objection written in mail leaves out of the
// three that make it block.
func missingParts(about, resolution, reason string) string {
	var out []string
	for _, part := range []struct{ text, what string }{{about, "what it is about (About:)"}, {resolution, "what would resolve it (Resolution:)"}, {reason, "why (the lines after them)"}} {
		if part.text == "" {
			out = append(out, part.what)
		}
	}
	return strings.Join(out, ", nor ")
}
