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
		name: "protocol add", args: "ID", summary: "register a protocol (at design; the Czar may import one at a later stage with --stage and --since)", nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.title, "title", "", "title (required)")
			fs.StringVar(&o.owners, "owners", "", "comma-separated user names of its champions (default: you)")
			fs.StringVar(&o.aliases, "aliases", "", "comma-separated names mail subjects use for it, e.g. \"PV Calls\" (its id always counts)")
			fs.StringVar(&o.stage, "stage", "", "stage for an import of an existing protocol (Czar only)")
			fs.StringVar(&o.since, "since", "", "when it entered that stage, for an import")
			fs.StringVar(&o.version, "version", "", "protocol version")
			fs.StringVar(&o.header, "header", "", "reference header, e.g. xen/include/public/io/pvcalls.h")
			fs.StringVar(&o.reason, "reason", "", "a note for the history, e.g. where an import's facts come from")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			d := pvczar.EventData{Protocol: args[0], Title: c.opts.title, Owners: splitList(c.opts.owners), Aliases: splitList(c.opts.aliases),
				Version: c.opts.version, Header: c.opts.header, Reason: c.opts.reason}
			if c.opts.stage != "" {
				st, err := pvczar.ParseStage(c.opts.stage)
				if err != nil {
					return err
				}
				d.Stage = st
			}
			if c.opts.since != "" {
				t, err := pvczar.ParseTime(c.opts.since)
				if err != nil {
					return pvczar.Errorf(pvczar.EINVALID, "--since: %s", pvczar.ErrorMessage(err))
				}
				d.Since = &t
			}
			return c.act(ctx, pvczar.EventProtocolRegistered, d)
		},
	})
	register(&command{
		name: "protocol edit", args: "ID", summary: "change a protocol's title, owners, mail aliases or header", nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.title, "title", "", "new title")
			fs.StringVar(&o.owners, "owners", "", "new comma-separated owners")
			fs.StringVar(&o.aliases, "aliases", "", "new comma-separated names mail subjects use for it")
			fs.StringVar(&o.header, "header", "", "new reference header")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			return c.act(ctx, pvczar.EventProtocolEdited, pvczar.EventData{Protocol: args[0], Title: c.opts.title, Owners: splitList(c.opts.owners), Aliases: splitList(c.opts.aliases), Header: c.opts.header})
		},
	})
	for _, side := range []struct {
		name    string
		typ     pvczar.EventType
		summary string
	}{
		{"withdraw", pvczar.EventProtocolWithdrawn, "withdraw a protocol for good (owners or the Czar)"},
		{"defer", pvczar.EventProtocolDeferred, "defer a protocol; it can come back (the Czar)"},
		{"resume", pvczar.EventProtocolResumed, "bring a deferred protocol back to its stage (the Czar)"},
	} {
		register(&command{
			name: "protocol " + side.name, args: "ID", summary: side.summary, nargs: [2]int{1, 1},
			flags: func(fs *flag.FlagSet, o *opts) { fs.StringVar(&o.reason, "reason", "", "why (required)") },
			run: func(ctx context.Context, c *cli, args []string) error {
				return c.act(ctx, side.typ, pvczar.EventData{Protocol: args[0], Reason: c.opts.reason})
			},
		})
	}
	register(&command{
		name: "protocol list", summary: "list protocols with stage and time in stage", read: true, nargs: [2]int{0, 0},
		run: func(ctx context.Context, c *cli, args []string) error {
			reg, now, err := c.registry(ctx)
			if err != nil {
				return err
			}
			protocols := reg.SortedProtocols()
			if c.json {
				return printJSON(c.stdout, protocols)
			}
			var rows [][]string
			for _, p := range protocols {
				open := "-"
				if pr := p.OpenProposal(); pr != nil {
					open = pr.ID
				}
				rows = append(rows, []string{p.ID, string(p.Stage), pvczar.FormatDuration(now.Sub(p.StageSince)), open, p.Title})
			}
			return table(c.stdout, "ID\tSTAGE\tIN STAGE\tPROPOSAL\tTITLE", rows)
		},
	})
	register(&command{
		name: "protocol show", args: "ID", summary: "show everything recorded about a protocol", read: true, nargs: [2]int{1, 1},
		run: func(ctx context.Context, c *cli, args []string) error {
			reg, _, err := c.registry(ctx)
			if err != nil {
				return err
			}
			p, err := reg.Protocol(args[0])
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(c.stdout, protocolJSON(p))
			}
			return showProtocol(c, reg, p)
		},
	})
}

func showProtocol(c *cli, reg *pvczar.Registry, p *pvczar.Protocol) error {
	w := c.stdout
	fmt.Fprintf(w, "%s: %s\n", p.ID, p.Title)
	fmt.Fprintf(w, "  stage:     %s since %s\n", p.Stage, pvczar.FormatUTC(p.StageSince))
	fmt.Fprintf(w, "  owners:    %s\n", strings.Join(p.Owners, ", "))
	fmt.Fprintf(w, "  version:   %s\n", dash(p.Version))
	fmt.Fprintf(w, "  header:    %s\n", dash(p.Header))
	if p.DesignDoc != nil {
		fmt.Fprintf(w, "  design:    %s at %s\n", p.DesignDoc.Path, p.DesignDoc.Commit)
	}
	if p.DesignThread != "" {
		fmt.Fprintf(w, "  thread:    %s\n", p.DesignThread)
	}
	if s := p.Spec; s != nil {
		fmt.Fprintf(w, "  spec:      %s%s, version %d, %d breaking change(s) against production\n", s.Path, atCommit(s.Commit), s.Version, len(s.Breaking))
	}
	if s := p.ProductionSpec; s != nil {
		fmt.Fprintf(w, "  production spec: %s%s, version %d\n", s.Path, atCommit(s.Commit), s.Version)
	}
	if p.Compatibility != nil {
		fmt.Fprintf(w, "  backward compatibility:       %s\n  cross-platform compatibility: %s\n", p.Compatibility.Backward, p.Compatibility.CrossPlatform)
	}
	if p.Stale {
		fmt.Fprintf(w, "  STALE: in prototype since %s with no open proposal; propose production, or defer or withdraw it\n", pvczar.FormatUTC(p.StageSince))
	}
	if len(p.Implementations) > 0 {
		fmt.Fprintln(w, "  implementations:")
		for _, impl := range p.Implementations {
			fmt.Fprintf(w, "    %-18s %-13s upstream %s\n", impl.ID, dash(impl.Label()), dash(impl.UpstreamCommit))
			if impl.Listed != "" {
				fmt.Fprintf(w, "      SUPPORT.md at %s: %q\n", pvczar.ShortCommit(impl.Listed), impl.Name)
			}
			if impl.Caveat != "" {
				fmt.Fprintf(w, "      caveat: %s\n", impl.Caveat)
			}
		}
	}
	printConformance(w, p.ConformanceMatrix())
	for _, f := range p.SupportFindings() {
		fmt.Fprintf(w, "  SUPPORT.md: %s\n", f)
	}
	for _, ki := range p.KnownIssues {
		state := "open"
		switch {
		case ki.Closed:
			state = "closed"
		case ki.Accepted:
			state = "accepted: " + ki.Reason
		}
		fmt.Fprintf(w, "  known issue #%d (%s): %s\n", ki.ID, state, ki.Text)
	}
	if next := p.NextMove(); next != "" {
		fmt.Fprintf(w, "  gates for %s:\n", next)
		for _, g := range reg.Gates(p, next) {
			mark := "[ ]"
			if g.OK() {
				mark = "[x]"
			}
			fmt.Fprintf(w, "    %s %-16s %s\n", mark, g.Gate, g.Detail)
		}
	}
	fmt.Fprintln(w, "  history:")
	for _, h := range p.History {
		how := "by " + h.By + " " + h.Proposal
		if h.Imported {
			how = "imported from xen.git " + pvczar.ShortCommit(h.Commit)
		}
		fmt.Fprintf(w, "    %s  %-10s %s\n", pvczar.FormatUTC(h.At), h.Stage, strings.TrimSpace(how))
	}
	for _, pr := range p.Proposals {
		printProposal(w, pr)
	}
	return nil
}

// protocolJSON is what protocol show --json prints: the protocol's state,
// with its conformance matrix (implementations × spec versions × features)
// when it has one.
func protocolJSON(p *pvczar.Protocol) any {
	m := p.ConformanceMatrix()
	if len(m.Versions) == 0 {
		return p
	}
	return struct {
		*pvczar.Protocol
		Matrix pvczar.ConformanceMatrix `json:"conformance_matrix"`
	}{p, m}
}

// printConformance prints a conformance matrix: each spec version with its
// features, then what each implementation conforms to of each.
func printConformance(w io.Writer, m pvczar.ConformanceMatrix) {
	if len(m.Versions) == 0 {
		return
	}
	fmt.Fprintln(w, "  conformance (implementations × spec versions × features):")
	for _, v := range m.Versions {
		current := ""
		if v.Current {
			current = " (the latest spec)"
		}
		fmt.Fprintf(w, "    v%d%s features: %s\n", v.Version, current, dash(strings.Join(v.Features, ", ")))
	}
	for _, row := range m.Rows {
		var cells []string
		for _, cell := range row.Cells {
			if cell.Conforms != nil {
				cells = append(cells, cell.Conforms.Describe())
			}
		}
		if len(cells) == 0 {
			cells = []string{"no conformance recorded"}
		}
		fmt.Fprintf(w, "    %-18s %s\n", row.Implementation, strings.Join(cells, "; "))
	}
}

func atCommit(commit string) string {
	if commit == "" {
		return ""
	}
	return " at " + commit
}
