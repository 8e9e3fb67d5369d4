package pvczar

import (
	"fmt"
	"regexp"
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
// record, and notes on what did not count and why.
type MailResult struct {
	Proposal string
	Commands []Event
	Notes    []string
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
func (r *Registry) ReadMail(m Mail, proposal string) MailResult {
	res := MailResult{Proposal: proposal}
	sender := r.UserByEmail(m.From.Email)
	if sender == nil {
		res.Notes = append(res.Notes, fmt.Sprintf("sender %s is not a pvczar user: nothing counts", m.From.Email))
		return res
	}
	_, pr, err := r.Proposal(proposal)
	if err != nil {
		res.Notes = append(res.Notes, err.Error())
		return res
	}
	add := func(t EventType, d EventData) {
		d.Proposal = proposal
		res.Commands = append(res.Commands, Event{Type: t, At: m.Date, Actor: sender.Name, Source: SourceMailPrefix + m.MessageID,
			Key: fmt.Sprintf("%s%s/%d", SourceMailPrefix, m.MessageID, len(res.Commands)+1), Data: d})
	}
	trailers, commands := ReadMailText(m.Body, m.From)
	for _, tr := range trailers {
		if !tr.Verified {
			res.Notes = append(res.Notes, fmt.Sprintf("line %d: %s by %s %s is not the sender's: recorded, not counted", tr.Line, tr.Kind, tr.Person.Name, tr.Person.Email))
			continue
		}
		kind, text := tr.Kind, ""
		if kind == PositionNack {
			kind, text = PositionComment, "NAK (Nacked-by in mail)"
		}
		add(EventPositionRecorded, EventData{Kind: kind, Text: text})
	}
	for _, c := range commands {
		if c.Proposal != "" && c.Proposal != proposal {
			res.Notes = append(res.Notes, fmt.Sprintf("line %d: %s names %s, but the mail is about %s: not counted", c.Line, c.Kind, c.Proposal, proposal))
			continue
		}
		switch c.Kind {
		case MailObjection:
			about, resolution, reason := splitObjection(c.Reason)
			add(EventObjectionRaised, EventData{Objection: c.Name, About: about, Resolution: resolution, Reason: reason})
		case MailObjectionResolved:
			add(EventObjectionResolved, EventData{Objection: c.Name})
		case MailObjectionWithdrawn:
			add(EventObjectionWithdrawn, EventData{Objection: c.Name})
		case MailHold:
			add(EventHoldPlaced, EventData{Reason: "hold placed by mail"})
		case MailRelease:
			add(EventHoldReleased, EventData{})
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
				add(EventObjectionAnswered, EventData{Objection: o.Name, Text: firstLines(m.Body, 3)})
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
