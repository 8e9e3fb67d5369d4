package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/xen-pvczar/pvczar"
)

func init() {
	register(&command{
		name: "propose", args: "PROTOCOL", summary: "open a proposal to move a protocol to its next stage; this opens the lazy-consensus window", nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.to, "to", "", "the stage to move to (default: the next one; no stage may be skipped)")
			fs.IntVar(&o.days, "days", 0, "window length in days (the Czar only; at least 7; default from the rules)")
			fs.StringVar(&o.thread, "thread", "", "adopt this xen-devel thread (the Message-ID of its first mail, a SUPPORT.md patch or a design RFC) as the proposal's thread: replies in it count")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			d := pvczar.EventData{Protocol: args[0], Days: c.opts.days, Thread: c.opts.thread}
			if c.opts.to != "" {
				st, err := pvczar.ParseStage(c.opts.to)
				if err != nil {
					return err
				}
				d.To = st
			}
			return c.act(ctx, pvczar.EventProposalOpened, d)
		},
	})
	for _, kind := range []struct {
		kind    pvczar.PositionKind
		summary string
	}{
		{pvczar.PositionAck, "ack a proposal (a maintainer's ack counts for the quorum)"},
		{pvczar.PositionReview, "record that you reviewed a proposal"},
		{pvczar.PositionTest, "record that you tested the implementations"},
		{pvczar.PositionAbstain, "abstain (cancels an earlier ack of yours)"},
		{pvczar.PositionRecuse, "recuse yourself (cancels an earlier ack of yours)"},
		{pvczar.PositionComment, "comment on a proposal (never blocks)"},
	} {
		register(&command{
			name: string(kind.kind), args: "PROPOSAL", summary: kind.summary, nargs: [2]int{1, 1},
			flags: func(fs *flag.FlagSet, o *opts) { fs.StringVar(&o.text, "text", "", "what you say") },
			run: func(ctx context.Context, c *cli, args []string) error {
				e, err := c.record(ctx, pvczar.EventPositionRecorded, pvczar.EventData{Proposal: args[0], Kind: kind.kind, Text: c.opts.text})
				if err != nil {
					return err
				}
				if kind.kind == pvczar.PositionAck {
					c.warnUncountedAck(ctx, e)
				}
				return c.printEvent(e)
			},
		})
	}
	register(&command{
		name: "object", args: "PROPOSAL NAME", summary: "raise a technical objection before the window closes; it blocks when it says --about, --resolution and --reason", nargs: [2]int{2, 2},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.about, "about", "", "what it is about: a spec section, field, xenstore key, handshake step or implementation")
			fs.StringVar(&o.resolution, "resolution", "", "what would resolve it")
			fs.StringVar(&o.reason, "reason", "", "the technical reason")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			d := pvczar.EventData{Proposal: args[0], Objection: args[1], About: c.opts.about, Resolution: c.opts.resolution, Reason: c.opts.reason}
			if !pvczar.Justified(d.About, d.Resolution, d.Reason) {
				c.logger.Warn("the objection lacks --about, --resolution or --reason: it is recorded as needing justification and does not block")
			}
			return c.act(ctx, pvczar.EventObjectionRaised, d)
		},
	})
	register(&command{
		name: "answer", args: "PROPOSAL OBJECTION", summary: "answer an objection; the proposer's answer passes the ball to the objector, the objector's passes it back", nargs: [2]int{2, 2},
		flags: func(fs *flag.FlagSet, o *opts) { fs.StringVar(&o.text, "text", "", "the answer (required)") },
		run: func(ctx context.Context, c *cli, args []string) error {
			return c.act(ctx, pvczar.EventObjectionAnswered, pvczar.EventData{Proposal: args[0], Objection: args[1], Text: c.opts.text})
		},
	})
	for _, k := range []struct {
		name, summary string
		typ           pvczar.EventType
	}{
		{"resolve", "mark your objection resolved", pvczar.EventObjectionResolved},
		{"revive", "revive your lapsed objection (until the Czar decides)", pvczar.EventObjectionRevived},
		{"overrule", "overrule someone else's objection with a written --reason (the Czar)", pvczar.EventObjectionOverruled},
	} {
		register(&command{
			name: k.name, args: "PROPOSAL OBJECTION", summary: k.summary, nargs: [2]int{2, 2},
			flags: func(fs *flag.FlagSet, o *opts) { fs.StringVar(&o.reason, "reason", "", "why") },
			run: func(ctx context.Context, c *cli, args []string) error {
				return c.act(ctx, k.typ, pvczar.EventData{Proposal: args[0], Objection: args[1], Reason: c.opts.reason})
			},
		})
	}
	register(&command{
		name: "poke", args: "PROPOSAL OBJECTION", summary: "remind the objector who holds the ball, by mail (the proposer); not an answer: the ball stays with them", nargs: [2]int{2, 2},
		flags: func(fs *flag.FlagSet, o *opts) { fs.StringVar(&o.text, "text", "", "what to tell them") },
		run: func(ctx context.Context, c *cli, args []string) error {
			return c.act(ctx, pvczar.EventObjectionPoked, pvczar.EventData{Proposal: args[0], Objection: args[1], Text: c.opts.text})
		},
	})
	register(&command{
		name: "withdraw", args: "PROPOSAL [OBJECTION]", summary: "withdraw your objection, or (without OBJECTION) withdraw a proposal", nargs: [2]int{1, 2},
		flags: func(fs *flag.FlagSet, o *opts) { fs.StringVar(&o.reason, "reason", "", "why") },
		run: func(ctx context.Context, c *cli, args []string) error {
			if len(args) == 1 {
				return c.act(ctx, pvczar.EventProposalWithdrawn, pvczar.EventData{Proposal: args[0], Reason: c.opts.reason})
			}
			return c.act(ctx, pvczar.EventObjectionWithdrawn, pvczar.EventData{Proposal: args[0], Objection: args[1], Reason: c.opts.reason})
		},
	})
	register(&command{
		name: "hold", args: "PROPOSAL", summary: "pause completion while you prepare an objection (at most 7 days, once per window)", nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) { fs.StringVar(&o.reason, "reason", "", "why") },
		run: func(ctx context.Context, c *cli, args []string) error {
			return c.act(ctx, pvczar.EventHoldPlaced, pvczar.EventData{Proposal: args[0], Reason: c.opts.reason})
		},
	})
	register(&command{
		name: "release", args: "PROPOSAL", summary: "release your hold (the Czar may release anyone's with --holder)", nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) { fs.StringVar(&o.holder, "holder", "", "whose hold (default: yours)") },
		run: func(ctx context.Context, c *cli, args []string) error {
			return c.act(ctx, pvczar.EventHoldReleased, pvczar.EventData{Proposal: args[0], Holder: c.opts.holder})
		},
	})
	decideFlags := func(fs *flag.FlagSet, o *opts) { fs.StringVar(&o.reason, "reason", "", "why (required to reject)") }
	register(&command{
		name: "decide accept", args: "PROPOSAL", summary: "accept a ready proposal: the protocol moves (the Czar)", nargs: [2]int{1, 1}, flags: decideFlags,
		run: func(ctx context.Context, c *cli, args []string) error {
			return c.act(ctx, pvczar.EventProposalDecided, pvczar.EventData{Proposal: args[0], Outcome: pvczar.ProposalAccepted, Reason: c.opts.reason})
		},
	})
	register(&command{
		name: "decide reject", args: "PROPOSAL", summary: "reject a proposal with a --reason (the Czar)", nargs: [2]int{1, 1}, flags: decideFlags,
		run: func(ctx context.Context, c *cli, args []string) error {
			return c.act(ctx, pvczar.EventProposalDecided, pvczar.EventData{Proposal: args[0], Outcome: pvczar.ProposalRejected, Reason: c.opts.reason})
		},
	})
	register(&command{
		name: "decide extend", args: "PROPOSAL", summary: "extend a proposal's window by --days (the Czar; windows are never shortened)", nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.IntVar(&o.days, "days", 0, "days to add (required)")
			fs.StringVar(&o.reason, "reason", "", "why")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			return c.act(ctx, pvczar.EventWindowExtended, pvczar.EventData{Proposal: args[0], Days: c.opts.days, Reason: c.opts.reason})
		},
	})
}

// warnUncountedAck says so when an ack just recorded does not count for the
// quorum, and why (the proposer's own, or not a maintainer's).
func (c *cli) warnUncountedAck(ctx context.Context, e pvczar.Event) {
	reg, _, err := c.registry(ctx)
	if err != nil {
		return // the ack is recorded; the warning is a courtesy
	}
	if _, pr, err := reg.Proposal(e.Data.Proposal); err == nil {
		for _, u := range pr.Quorum.NotCounted {
			if u.Author == e.Actor {
				c.logger.Warn(fmt.Sprintf("your ack is recorded but does not count for the quorum: %s", u.Why))
			}
		}
	}
}
