package pvczar

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// SourceMailPrefix starts the source of an event made from a mail; the
// Message-ID follows.
const SourceMailPrefix = "mail:"

// AnnouncementID is the Message-ID of pvczar's announcement of a proposal,
// at domain. Replies anywhere below it belong to the proposal, so the id
// says which proposal it announces.
func AnnouncementID(proposal, domain string) string {
	return "pvczar.proposal." + proposal + "@" + domain
}

var announcementPattern = regexp.MustCompile(`^pvczar\.proposal\.([a-z0-9][a-z0-9._-]*-[0-9]+)@`)

// AnnouncedProposal returns the proposal a Message-ID announces, if it is
// one of pvczar's announcements.
func AnnouncedProposal(messageID string) (string, bool) {
	m := announcementPattern.FindStringSubmatch(messageID)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// MailProposal returns the proposal a mail belongs to: the one whose
// announcement is among the mail's ancestors (In-Reply-To, References).
func MailProposal(m Mail) (string, bool) {
	for _, id := range append([]string{m.InReplyTo}, m.References...) {
		if p, ok := AnnouncedProposal(id); ok {
			return p, true
		}
	}
	return "", false
}

// NamedProposal returns the proposal a mail's commands (from ReadMailText)
// name ("Objection: cameraif-1 frame-format"), for a mail that is not
// below an announcement: a reply to the digest, or to any thread of the
// list.
func NamedProposal(commands []MailCommand) (string, bool) {
	for _, c := range commands {
		if c.Proposal != "" {
			return c.Proposal, true
		}
	}
	return "", false
}

// UserByEmail returns the user with that address, if pvczar knows one.
func (r *Registry) UserByEmail(email string) *User {
	for _, u := range r.SortedUsers() {
		if u.Email != "" && strings.EqualFold(u.Email, email) {
			return u
		}
	}
	return nil
}

// MailResult is what a mail means for the lifecycle: the commands to
// record, with the lines they were read from, notes on what did not count
// and why, and the lines that did not count, to list in the next digest.
type MailResult struct {
	Proposal string
	Commands []Event
	// Lines holds the line of the body (from 1) that each command was
	// read from; 0 for an answer, which a reply makes by being one.
	Lines []int
	Notes []string
	// Unapplied holds a mail.unapplied event for each command or trailer
	// that the reading refused; one that the rules refuse when it is
	// recorded gets its own from UnappliedEvent.
	Unapplied []Event
}

// ReadMail turns a mail that belongs to proposal into commands, each
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
func (r *Registry) ReadMail(m Mail, proposal string) MailResult {
	res := MailResult{Proposal: proposal}
	trailers, commands := ReadMailText(m.Body, m.From)
	unapplied := func(line int, reason string) {
		res.Unapplied = append(res.Unapplied, r.UnappliedEvent(m, proposal, line, reason))
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
	sender := r.UserByEmail(m.From.Email)
	if sender == nil {
		res.Notes = append(res.Notes, fmt.Sprintf("sender %s is not a pvczar user: nothing counts", m.From.Email))
		// Not the address: the digest is public, and the events show
		// addresses to those signed in only.
		none("the sender's address is not a pvczar user's (the Czar adds users and their addresses)")
		return res
	}
	_, pr, err := r.Proposal(proposal)
	if err != nil {
		res.Notes = append(res.Notes, err.Error())
		none(ErrorMessage(err))
		return res
	}
	add := func(t EventType, d EventData, line int) {
		d.Proposal = proposal
		res.Commands = append(res.Commands, Event{Type: t, At: m.Date, Actor: sender.Name, Source: SourceMailPrefix + m.MessageID,
			Key: fmt.Sprintf("%s%s/%d", SourceMailPrefix, m.MessageID, len(res.Commands)+1), Data: d})
		res.Lines = append(res.Lines, line)
	}
	for _, tr := range trailers {
		if !tr.Verified {
			res.Notes = append(res.Notes, fmt.Sprintf("line %d: %s by %s %s is not the sender's: recorded, not counted", tr.Line, tr.Kind, tr.Person.Name, tr.Person.Email))
			unapplied(tr.Line, "a trailer counts only in the mail of the person it names, not in another's")
			continue
		}
		kind, text := tr.Kind, ""
		if kind == PositionNack {
			kind, text = PositionComment, "NAK (Nacked-by in mail)"
		}
		add(EventPositionRecorded, EventData{Kind: kind, Text: text}, tr.Line)
	}
	for _, c := range commands {
		if c.Proposal != "" && c.Proposal != proposal {
			res.Notes = append(res.Notes, fmt.Sprintf("line %d: %s names %s, but the mail is about %s: not counted", c.Line, c.Kind, c.Proposal, proposal))
			unapplied(c.Line, fmt.Sprintf("it names %s, but the mail is about %s", c.Proposal, proposal))
			continue
		}
		switch c.Kind {
		case MailObjection:
			about, resolution, reason := splitObjection(c.Reason)
			add(EventObjectionRaised, EventData{Objection: c.Name, About: about, Resolution: resolution, Reason: reason}, c.Line)
		case MailObjectionResolved:
			add(EventObjectionResolved, EventData{Objection: c.Name}, c.Line)
		case MailObjectionWithdrawn:
			add(EventObjectionWithdrawn, EventData{Objection: c.Name}, c.Line)
		case MailHold:
			add(EventHoldPlaced, EventData{Reason: "hold placed by mail"}, c.Line)
		case MailRelease:
			add(EventHoldReleased, EventData{}, c.Line)
		}
	}
	if len(commands) == 0 {
		// A reply in an objection's thread moves the ball.
		ancestors := map[string]bool{m.InReplyTo: true}
		for _, id := range m.References {
			ancestors[id] = true
		}
		for _, o := range pr.Objections {
			from, ok := strings.CutPrefix(o.Source, SourceMailPrefix)
			if !ok || !ancestors[from] || o.Status != ObjectionOpen {
				continue
			}
			if sender.Name == pr.Proposer || sender.Name == o.Author {
				add(EventObjectionAnswered, EventData{Objection: o.Name, Text: firstLines(m.Body, 3)}, 0)
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
