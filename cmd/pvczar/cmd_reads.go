package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/xen-pvczar/pvczar"
)

func init() {
	register(&command{
		name: "status", args: "[PROTOCOL]", summary: "where every protocol stands, and the Czar's queue", read: true, nargs: [2]int{0, 1},
		run: func(ctx context.Context, c *cli, args []string) error {
			reg, now, err := c.registry(ctx)
			if err != nil {
				return err
			}
			st := reg.Status(now)
			if len(args) == 1 {
				if _, err := reg.Protocol(args[0]); err != nil {
					return err
				}
				var only []pvczar.ProtocolStatus
				for _, ps := range st.Protocols {
					if ps.ID == args[0] {
						only = append(only, ps)
					}
				}
				st.Protocols = only
			}
			if c.json {
				return printJSON(c.stdout, st)
			}
			printStatus(c.stdout, st)
			return nil
		},
	})
	register(&command{
		name: "digest", summary: "the plain-text digest for xen-devel", read: true, nargs: [2]int{0, 0},
		run: func(ctx context.Context, c *cli, args []string) error {
			reg, now, err := c.registry(ctx)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(c.stdout, map[string]string{"digest": reg.Digest(now)})
			}
			_, err = io.WriteString(c.stdout, reg.Digest(now))
			return err
		},
	})
	register(&command{
		name: "log", args: "[PROTOCOL|PROPOSAL]", summary: "the history, newest first as on the Activity page: every event, of one protocol or proposal or of all, placed by its time", read: true, nargs: [2]int{0, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.IntVar(&o.limit, "limit", 0, "at most this many events: the latest")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			svc, err := c.open(ctx)
			if err != nil {
				return err
			}
			f := pvczar.EventFilter{Limit: c.opts.limit, Newest: c.opts.limit > 0}
			if len(args) == 1 {
				reg, _, err := c.registry(ctx)
				if err != nil {
					return err
				}
				if _, err := reg.Protocol(args[0]); err == nil {
					f.Stream = pvczar.ProtocolStream(args[0])
				} else if _, _, err := reg.Proposal(args[0]); err == nil {
					f.Proposal = args[0]
				} else {
					return pvczar.Errorf(pvczar.ENOTFOUND, "no protocol or proposal named %q", args[0])
				}
			}
			events, err := svc.Events(ctx, f)
			if err != nil {
				return err
			}
			pvczar.NewestFirst(events)
			if c.json {
				if events == nil {
					events = []pvczar.Event{}
				}
				return printJSON(c.stdout, events)
			}
			var rows [][]string
			for _, e := range events {
				rows = append(rows, []string{fmt.Sprint(e.Seq), pvczar.FormatUTC(e.At), e.Actor, e.Source, e.Describe()})
			}
			return table(c.stdout, "SEQ\tAT\tWHO\tSOURCE\tWHAT", rows)
		},
	})
	register(&command{
		name: "rules", summary: "print the lifecycle rules and the numbers in force", read: true, nargs: [2]int{0, 0},
		run: func(ctx context.Context, c *cli, args []string) error {
			cfg, err := c.config()
			if c.server != "" { // the server's numbers, not the local file's
				var svc pvczar.Service
				if svc, err = c.open(ctx); err == nil {
					cfg, err = svc.Config(ctx)
				}
			}
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(c.stdout, pvczar.Rules(cfg))
			}
			_, err = io.WriteString(c.stdout, rulesText(cfg))
			return err
		},
	})
}

func printStatus(w io.Writer, st pvczar.Status) {
	fmt.Fprintf(w, "Status at %s\n\n", pvczar.FormatUTC(st.Now))
	var rows [][]string
	for _, ps := range st.Protocols {
		proposal, deadline := "-", "-"
		if pr := ps.Proposal; pr != nil {
			proposal = pr.ID + " -> " + string(pr.To)
			deadline = pvczar.FormatAoE(pr.Deadline)
		}
		rows = append(rows, []string{ps.ID, string(ps.Stage), fmt.Sprintf("%dd", ps.DaysInStage), proposal, deadline, dash(strings.Join(ps.Badges, ","))})
	}
	table(w, "PROTOCOL\tSTAGE\tIN STAGE\tPROPOSAL\tDEADLINE\tBADGES", rows)
	q := st.Queue
	fmt.Fprintln(w, "\nCzar's queue:")
	for _, line := range []struct {
		name string
		ids  []string
	}{{"ready", q.Ready}, {"overdue", q.Overdue}, {"blocked", q.Blocked}, {"stalled", q.Stalled}, {"lapsed", q.Lapsed}, {"stale", q.Stale}, {"support", q.Support}} {
		fmt.Fprintf(w, "  %-8s %s\n", line.name+":", dash(strings.Join(line.ids, ", ")))
	}
	if len(q.Landed) > 0 {
		fmt.Fprintf(w, "  %-8s %s (their SUPPORT.md change landed in xen.git with no decision recorded)\n", "landed:", strings.Join(q.Landed, ", "))
	}
	if len(q.Candidates) > 0 {
		fmt.Fprintln(w, "\nSUPPORT.md patches on the list that no proposal has adopted:")
		for _, c := range q.Candidates {
			fmt.Fprintf(w, "  %s %s -> %s: %q, %s\n    %s\n", c.Protocol, c.From, c.To, c.Subject, strings.Join(c.Changes, "; "), c.Command)
			if c.Note != "" {
				fmt.Fprintf(w, "    (refused now: %s)\n", c.Note)
			}
		}
	}
	if len(st.Away) > 0 {
		fmt.Fprintln(w, "\nAway (the lapse clock of their objections is paused while they are away):")
		for _, a := range st.Away {
			fmt.Fprintf(w, "  %-8s %s to %s (%d days)\n", a.User+":", pvczar.FormatAoEWall(a.From), pvczar.FormatAoE(a.Until), a.Days())
		}
	}
	for _, ps := range st.Protocols {
		if ps.Proposal != nil {
			fmt.Fprintln(w)
			printProposal(w, ps.Proposal)
		}
	}
}

func printProposal(w io.Writer, pr *pvczar.Proposal) {
	fmt.Fprintf(w, "Proposal %s: %s -> %s by %s, %s\n", pr.ID, pr.From, pr.To, pr.Proposer, pr.Status)
	fmt.Fprintf(w, "  opened %s, window closes %s (%d days)\n", pvczar.FormatUTC(pr.Opened), pvczar.FormatAoE(pr.Deadline), pr.WindowDays)
	if pr.Thread != "" {
		fmt.Fprintf(w, "  on the xen-devel thread <%s>\n", pr.Thread)
	}
	if l := pr.Landed; l != nil {
		fmt.Fprintf(w, "  landed in xen.git: %s at %s (%s)\n", pvczar.ShortCommit(l.Commit), pvczar.FormatUTC(l.At), l.How)
	}
	if pr.Decision != nil {
		fmt.Fprintf(w, "  %s by %s at %s %s\n", pr.Decision.Outcome, pr.Decision.By, pvczar.FormatUTC(pr.Decision.At), pr.Decision.Reason)
	}
	if pr.Status == pvczar.ProposalOpen {
		fmt.Fprintf(w, "  quorum: %d of %d maintainer ack(s) %s\n", pr.Quorum.Have, pr.Quorum.Need, strings.Join(pr.Quorum.By, ", "))
	}
	for _, o := range pr.Objections {
		fmt.Fprintf(w, "  objection %s by %s: %s, ball with %s since %s\n", o.Name, o.Author, o.Status, o.Ball, pvczar.FormatUTC(o.BallSince))
	}
	for _, h := range pr.Holds {
		fmt.Fprintf(w, "  hold by %s: %s (expires %s)\n", h.Holder, h.Status, pvczar.FormatUTC(h.Expires))
	}
	if pr.Ready {
		fmt.Fprintf(w, "  READY since %s\n", pvczar.FormatUTC(*pr.ReadySince))
	}
	for _, n := range pr.Needs {
		fmt.Fprintf(w, "  needs: %s\n", n)
	}
}

func rulesText(cfg pvczar.Config) string {
	return fmt.Sprintf(`The Xen PV protocol lifecycle, as pvczar enforces it

Stages: design -> prototype -> production, never skipped; withdrawn (final)
and deferred (can resume) are side states. A protocol moves only when the
Czar accepts a proposal for its next stage.

Gates (evidence needed before a window may open; the Czar may waive a
failed gate with a written reason):
  to prototype:  %s
  to production: %s
                 and, for a protocol with a spec, handshake: pvczar spec
                 verify on the latest spec, paired with the production spec
                 (no deadlock, no read of an absent key, only allowed
                 XenbusState moves, a teardown that completes)

Lazy-consensus window: %d days to prototype, %d days to production (never
below %d). The deadline is the end of its last day Anywhere on Earth
(23:59:59 UTC-12), stored as a UTC instant and always shown with "AoE".
The Czar may extend a window, never shorten it.

Quorum: %d ack(s) from maintainers other than the proposer.

Objections block when they are explicit, their author is identified, they
say what they are about, what would resolve them and why, and they were
raised before the window closed. A bare NAK needs justification and does not
block; comments and questions never block. When the proposer (or an owner,
or the Czar) answers, the ball passes to the objector; an objector silent for
%d days (floor %d) lets the objection lapse: it stays recorded, stops
blocking, and its author may revive it until the Czar decides. A proposer
silent for %d days makes the proposal stalled. An objection ends resolved or
withdrawn (by its author), lapsed (by the clock) or overruled (by the Czar
with a written reason; never the Czar's own objection).

Hold: pauses completion for at most %d days, once per person per window,
until it is released or becomes an objection.

Ready: the window has closed, nothing blocks, no hold is active, the quorum
is met and the gates pass or are waived. A ready proposal without a decision
for %d days is decision overdue.

Stale: a protocol in prototype for more than %d days with no open proposal.

Absence: declared before it starts (pvczar away), in whole AoE days, at most
%d days in a calendar year (the year of its first day), overlapping none of
one's others. While one is away the lapse clock of one's objections stops:
an objection lapses later by the time its author was away since the ball
came to them. Windows, holds, stalls and decisions run on. The Czar's queue
and pvczar status list who is away.

Xen's SUPPORT.md: an import of xen.git records each protocol's
implementations with their labels. The labels imply a stage: production when
a frontend and a backend are Supported (with or without caveats or external
security support), prototype when implementations are listed, design when
none is; Deprecated ones do not count. A change of the labels that implies
another stage moves the protocol as an imported move, dated by its commit:
a fact of xen.git, not a lazy-consensus decision. Where pvczar's stage
differs from the one SUPPORT.md implies, or one implementation is listed
under several labels, the Czar's queue says so.

Roles: czar (decides, extends, waives, overrules, manages users),
maintainer (acks count for the quorum), contributor (proposes and records
evidence for the protocols it owns), reviewer (reviews, objects, holds,
comments), reader (reads).
`, strings.Join(pvczar.GatesFor(pvczar.StagePrototype), ", "), strings.Join(pvczar.GatesFor(pvczar.StageProduction), ", "),
		cfg.PrototypeWindowDays, cfg.ProductionWindowDays, pvczar.MinWindowDays, cfg.QuorumAcks,
		cfg.LapseDays, pvczar.MinLapseDays, cfg.StallDays, cfg.HoldDays, cfg.OverdueDays, cfg.StaleDays, pvczar.AwayDaysPerYear)
}
