package pvczar

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Status is the state of every protocol at one instant, with the Czar's
// queue: what is ready, overdue, blocked, stalled, lapsed or stale.
type Status struct {
	Now       time.Time        `json:"now"`
	Protocols []ProtocolStatus `json:"protocols"`
	Queue     Queue            `json:"queue"`
	// Away lists the absences under way or to come: while one is under
	// way, its author's objections do not lapse.
	Away []Absence `json:"away"`
}

// ProtocolStatus summarises one protocol.
type ProtocolStatus struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Stage       Stage     `json:"stage"`
	StageSince  time.Time `json:"stage_since"`
	DaysInStage int       `json:"days_in_stage"`
	Stale       bool      `json:"stale"`
	Badges      []string  `json:"badges"`
	Proposal    *Proposal `json:"proposal,omitempty"`
	// Support lists where the protocol and xen.git's SUPPORT.md disagree.
	Support []string `json:"support,omitempty"`
}

// Queue lists what needs someone's attention, by proposal or protocol id.
type Queue struct {
	Ready   []string `json:"ready"`   // waiting for the Czar's decision
	Overdue []string `json:"overdue"` // ready and waiting too long
	Blocked []string `json:"blocked"` // a blocking objection or a hold
	Stalled []string `json:"stalled"` // the proposer has not answered for too long
	Lapsed  []string `json:"lapsed"`  // proposals with lapsed objections, "proposal/objection"
	Stale   []string `json:"stale"`   // protocols
	Support []string `json:"support"` // protocols that SUPPORT.md contradicts
	// Landed lists the open proposals whose SUPPORT.md change landed in
	// xen.git with no decision recorded.
	Landed []string `json:"landed"`
	// Candidates are SUPPORT.md patches on the list that no proposal has
	// adopted, each with the command that opens one on its thread.
	Candidates []CandidateItem `json:"candidates"`
}

// Status evaluates the registry's status; call AdvanceTo(now) first.
func (r *Registry) Status(now time.Time) Status {
	st := Status{Now: now, Queue: Queue{Ready: []string{}, Overdue: []string{}, Blocked: []string{}, Stalled: []string{}, Lapsed: []string{}, Stale: []string{}, Support: []string{}, Landed: []string{}}}
	for _, p := range r.SortedProtocols() {
		ps := ProtocolStatus{ID: p.ID, Title: p.Title, Stage: p.Stage, StageSince: p.StageSince,
			DaysInStage: int(now.Sub(p.StageSince) / Day), Stale: p.Stale, Badges: []string{}}
		if p.Stale {
			ps.Badges = append(ps.Badges, "stale")
			st.Queue.Stale = append(st.Queue.Stale, p.ID)
		}
		if ps.Support = p.SupportFindings(); len(ps.Support) > 0 {
			ps.Badges = append(ps.Badges, "support-md")
			st.Queue.Support = append(st.Queue.Support, p.ID)
		}
		if pr := p.OpenProposal(); pr != nil {
			ps.Proposal = pr
			ps.Badges = append(ps.Badges, proposalBadges(pr)...)
			if pr.Ready {
				st.Queue.Ready = append(st.Queue.Ready, pr.ID)
			}
			if pr.Overdue {
				st.Queue.Overdue = append(st.Queue.Overdue, pr.ID)
			}
			if pr.Blocked() {
				st.Queue.Blocked = append(st.Queue.Blocked, pr.ID)
			}
			if pr.Stalled {
				st.Queue.Stalled = append(st.Queue.Stalled, pr.ID)
			}
			for _, o := range pr.Objections {
				if o.Status == ObjectionLapsed {
					st.Queue.Lapsed = append(st.Queue.Lapsed, pr.ID+"/"+o.Name)
				}
			}
		}
		st.Protocols = append(st.Protocols, ps)
	}
	for _, pr := range r.landedUndecided() {
		st.Queue.Landed = append(st.Queue.Landed, pr.ID)
	}
	st.Queue.Candidates = r.candidateItems()
	// Who is away, without why: the status is for everyone, and the
	// reason of an absence for the Czar and the person only.
	st.Away = r.Absences(now, false)
	for i := range st.Away {
		st.Away[i].Reason = ""
	}
	return st
}

// Blocked reports whether an objection or a hold stops the proposal.
func (pr *Proposal) Blocked() bool {
	for _, o := range pr.Objections {
		if o.Blocking {
			return true
		}
	}
	return pr.activeHoldCount() > 0
}

func (pr *Proposal) activeHoldCount() int {
	n := 0
	for _, h := range pr.Holds {
		if h.Status == HoldActive {
			n++
		}
	}
	return n
}

func proposalBadges(pr *Proposal) []string {
	var b []string
	if !pr.WindowClosed {
		b = append(b, "window-open")
	}
	if pr.Blocked() {
		b = append(b, "blocked")
	}
	if pr.Ready {
		b = append(b, "ready")
	}
	if pr.Overdue {
		b = append(b, "overdue")
	}
	if pr.Stalled {
		b = append(b, "stalled")
	}
	return b
}

// Digest writes the plain-text digest fit for posting to xen-devel: open
// windows with AoE deadlines, objections with who holds the ball and since
// when, ready and overdue decisions, stale protocols, and, for each
// sender, the commands and trailers of their mail that did not count since
// the last digest, with the reason (see unappliedSince). Call AdvanceTo(now)
// first.
func (r *Registry) Digest(now time.Time) string {
	var b strings.Builder
	st := r.Status(now)
	fmt.Fprintf(&b, "Xen PV protocols: lifecycle digest, %s\n", FormatUTC(now))
	fmt.Fprintf(&b, "%s\n\n", strings.Repeat("=", 60))

	section := func(title string, lines []string) {
		fmt.Fprintf(&b, "%s\n%s\n", title, strings.Repeat("-", len(title)))
		if len(lines) == 0 {
			b.WriteString("  (none)\n")
		}
		for _, l := range lines {
			b.WriteString(l)
		}
		b.WriteString("\n")
	}

	var open, objections, decisions, stale, support []string
	for _, ps := range st.Protocols {
		for _, f := range ps.Support {
			support = append(support, "  "+f+".\n")
		}
		if ps.Stale {
			stale = append(stale, fmt.Sprintf("  %s: in prototype since %s (%d days) with no open proposal.\n%s    Action: propose production, or defer or withdraw it.\n",
				ps.ID, ps.StageSince.Format("2006-01-02"), ps.DaysInStage, supportLines(r.Protocols[ps.ID])))
		}
		pr := ps.Proposal
		if pr == nil {
			continue
		}
		if !pr.WindowClosed {
			open = append(open, fmt.Sprintf("  %s: %s %s -> %s, proposed by %s\n    window closes %s (in %s)\n",
				pr.ID, ps.ID, pr.From, pr.To, pr.Proposer, FormatAoE(pr.Deadline), FormatDuration(pr.ClosesAt().Sub(now))))
		}
		for _, o := range pr.Objections {
			switch o.Status {
			case ObjectionOpen:
				holder := pr.BallHolder(o) + " (" + o.Ball + ")"
				objections = append(objections, fmt.Sprintf("  %s / %s by %s: BLOCKING\n    about: %s\n    ball with %s since %s (%s)\n",
					pr.ID, o.Name, o.Author, o.About, holder, FormatUTC(o.BallSince), FormatDuration(now.Sub(o.BallSince))))
				if a := r.AwayAt(o.Author, now); a != nil && o.Ball == BallObjector {
					objections[len(objections)-1] += fmt.Sprintf("    %s is away until %s: the lapse clock is paused\n", o.Author, FormatAoE(a.Until))
				}
			case ObjectionLapsed:
				objections = append(objections, fmt.Sprintf("  %s / %s by %s: lapsed (no answer from %s since %s); the author may revive it\n",
					pr.ID, o.Name, o.Author, o.Author, FormatUTC(o.BallSince)))
			case ObjectionNeedsJustification:
				objections = append(objections, fmt.Sprintf("  %s / %s by %s: needs justification (does not block)\n", pr.ID, o.Name, o.Author))
			}
		}
		if l := pr.Landed; l != nil {
			decisions = append(decisions, fmt.Sprintf("  %s: its SUPPORT.md change landed in xen.git (%s, %s) with no decision recorded\n", pr.ID, ShortCommit(l.Commit), FormatUTC(l.At)))
		}
		switch {
		case pr.Overdue:
			decisions = append(decisions, fmt.Sprintf("  %s: ready since %s, DECISION OVERDUE\n", pr.ID, FormatUTC(*pr.ReadySince)))
		case pr.Ready:
			decisions = append(decisions, fmt.Sprintf("  %s: ready since %s, waiting for the Czar\n", pr.ID, FormatUTC(*pr.ReadySince)))
		case pr.Stalled:
			decisions = append(decisions, fmt.Sprintf("  %s: STALLED, the proposer has not answered an objection\n", pr.ID))
		}
	}
	sort.Strings(stale)
	section("Open windows", open)
	section("Objections", objections)
	section("Decisions", decisions)
	section("Stale protocols", stale)
	if len(support) > 0 {
		section("SUPPORT.md disagrees", support)
	}
	var candidates []string
	for _, c := range st.Queue.Candidates {
		candidates = append(candidates, fmt.Sprintf("  %s: %s -> %s, %q (%s)\n    %s\n", c.Protocol, c.From, c.To, c.Subject, strings.Join(c.Changes, "; "), c.Command))
	}
	if len(candidates) > 0 {
		section("SUPPORT.md patches on the list", candidates)
	}
	if from, unapplied := r.unappliedSince(now); len(unapplied) > 0 {
		section("Mail commands not applied", append([]string{fmt.Sprintf("  These lines of mail sent since %s did not count:\n", FormatUTC(from))}, unapplied...))
	}
	b.WriteString("To object, reply with a line \"Objection: <proposal> <short-name>\" (for example\n\"Objection: cameraif-1 frame-format\") followed by lines \"About: ...\" and\n\"Resolution: ...\" saying what it is about and what would resolve it, and\nlines saying why it matters (an objection without all three does not block),\nor run `pvczar object`.\n")
	return b.String()
}

// supportLines lists, for the digest, the labels SUPPORT.md gives a
// protocol's implementations, with their caveats.
func supportLines(p *Protocol) string {
	var b strings.Builder
	for _, impl := range p.listed() {
		name := impl.Name
		if name == "" {
			name = impl.CodeBase
		}
		fmt.Fprintf(&b, "    SUPPORT.md: %s %s: %s\n", name, impl.Side, impl.Label())
		if impl.Caveat != "" {
			fmt.Fprintf(&b, "      (%s)\n", strings.ReplaceAll(impl.Caveat, "\n\n", "\n       "))
		}
	}
	return b.String()
}
