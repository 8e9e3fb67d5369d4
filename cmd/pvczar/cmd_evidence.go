package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/designdoc"
	"github.com/xen-pvczar/pvczar/pvspec"
)

func init() {
	register(&command{
		name: "impl", args: "PROTOCOL", summary: "record or update an implementation (one per code base and side)", nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.side, "side", "", "frontend or backend (required)")
			fs.StringVar(&o.codebase, "codebase", "", "linux, qemu, freebsd, netbsd, windows, xen-tools or other (required)")
			fs.StringVar(&o.upstream, "upstream", "", "upstream commit that merged it")
			fs.StringVar(&o.support, "support", "", "SUPPORT.md label: Experimental, Tech Preview, Supported, Deprecated")
			fs.StringVar(&o.review, "review", "", "review state, e.g. posted, reviewed, merged")
			fs.StringVar(&o.series, "series", "", "patch series as MESSAGE-ID:VERSION, comma-separated")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			impl := &pvczar.Implementation{Side: c.opts.side, CodeBase: c.opts.codebase, UpstreamCommit: c.opts.upstream,
				Support: c.opts.support, Review: c.opts.review}
			for _, s := range splitList(c.opts.series) {
				i := strings.LastIndexByte(s, ':')
				v, err := strconv.Atoi(s[i+1:])
				if i < 0 || err != nil {
					return pvczar.Errorf(pvczar.EINVALID, "--series %q: want MESSAGE-ID:VERSION, e.g. 20170515@example.org:3", s)
				}
				impl.Series = append(impl.Series, pvczar.Series{MessageID: s[:i], Version: v})
			}
			return c.act(ctx, pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: args[0], Implementation: impl})
		},
	})
	register(&command{
		name: "evidence", args: "PROTOCOL KIND [VALUE]",
		summary: "record gate evidence: design-doc (--path --commit), doc-check (--file DOC [--spec SPEC] [--commit]: runs pvczar doc check and records its result), design-thread MESSAGE-ID, version V, compatibility (--backward --cross-platform), spec (--file SPEC [--path --commit]: checked, and on a production protocol compared with its production spec)",
		nargs:   [2]int{2, 3},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.path, "path", "", "design document path in xen.git")
			fs.StringVar(&o.commit, "commit", "", "xen.git commit of the document, or that the check ran on")
			fs.StringVar(&o.backward, "backward", "", "the backward-compatibility promise")
			fs.StringVar(&o.crossPlatform, "cross-platform", "", "the cross-platform promise")
			fs.StringVar(&o.file, "file", "", "doc-check: the design document to check; spec: the pvspec file to record")
			fs.StringVar(&o.specFile, "spec", "", "doc-check: a pvspec file the document must agree with")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			d := pvczar.EventData{Protocol: args[0], Evidence: args[1], Path: c.opts.path, Commit: c.opts.commit,
				Text: c.opts.text, Backward: c.opts.backward, CrossPlatform: c.opts.crossPlatform}
			value := ""
			if len(args) == 3 {
				value = args[2]
			}
			switch args[1] {
			case pvczar.EvidenceDesignThread:
				d.MessageID = strings.Trim(value, "<>")
			case pvczar.EvidenceVersion:
				d.Version = value
			case pvczar.EvidenceDocCheck:
				if err := c.docCheckEvidence(&d); err != nil {
					return err
				}
			case pvczar.EvidenceSpec:
				if err := c.specEvidence(ctx, &d); err != nil {
					return err
				}
			default:
				if value != "" {
					return pvczar.Errorf(pvczar.EINVALID, "evidence %s takes flags, not a value (%q)", args[1], value)
				}
			}
			return c.act(ctx, pvczar.EventEvidenceRecorded, d)
		},
	})
	register(&command{
		name: "known-issue add", args: "PROTOCOL TEXT", summary: "record a known issue of a protocol", nargs: [2]int{2, 2},
		run: func(ctx context.Context, c *cli, args []string) error {
			return c.act(ctx, pvczar.EventKnownIssueAdded, pvczar.EventData{Protocol: args[0], Text: args[1]})
		},
	})
	for _, k := range []struct {
		name, summary string
		typ           pvczar.EventType
	}{
		{"accept", "accept a known issue for production (the Czar, with --reason)", pvczar.EventKnownIssueAccepted},
		{"close", "close a fixed known issue", pvczar.EventKnownIssueClosed},
	} {
		register(&command{
			name: "known-issue " + k.name, args: "PROTOCOL NUMBER", summary: k.summary, nargs: [2]int{2, 2},
			flags: func(fs *flag.FlagSet, o *opts) { fs.StringVar(&o.reason, "reason", "", "why") },
			run: func(ctx context.Context, c *cli, args []string) error {
				n, err := strconv.Atoi(strings.TrimPrefix(args[1], "#"))
				if err != nil {
					return pvczar.Errorf(pvczar.EINVALID, "known issue number %q is not a number", args[1])
				}
				return c.act(ctx, k.typ, pvczar.EventData{Protocol: args[0], Issue: n, Reason: c.opts.reason})
			},
		})
	}
	register(&command{
		name: "waive", args: "PROTOCOL GATE", summary: "let a failed gate pass, with a written reason (the Czar)", nargs: [2]int{2, 2},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.reason, "reason", "", "why (required)")
			fs.StringVar(&o.to, "to", "", "the stage the gate guards (default: the next stage)")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			d := pvczar.EventData{Protocol: args[0], Gate: args[1], Reason: c.opts.reason}
			if c.opts.to != "" {
				st, err := pvczar.ParseStage(c.opts.to)
				if err != nil {
					return err
				}
				d.To = st
			}
			return c.act(ctx, pvczar.EventGateWaived, d)
		},
	})
}

// specEvidence reads the spec of --file, refuses it unless spec check
// passes, and on a protocol in production lists the unwaived breaking
// changes spec diff finds against the production spec: they fail the
// revision's spec-compat gate until the Czar waives it.
func (c *cli) specEvidence(ctx context.Context, d *pvczar.EventData) error {
	if c.opts.file == "" {
		return pvczar.Errorf(pvczar.EINVALID, "evidence spec needs --file SPEC")
	}
	text, err := readBounded(c.opts.file, pvspec.MaxFileSize)
	if err != nil {
		return err
	}
	s, err := decodeSpec(c.opts.file, text)
	if err != nil {
		return err
	}
	if findings := pvspec.Check(s); len(findings) > 0 {
		for _, f := range findings {
			fmt.Fprintln(c.stderr, f)
		}
		return checkFindings{len(findings)}
	}
	d.SpecText, d.SpecVersion = string(text), s.Version
	if d.Path == "" {
		d.Path = c.opts.file
	}
	reg, _, err := c.registry(ctx)
	if err != nil {
		return err
	}
	p := reg.Protocols[d.Protocol]
	if p == nil || p.ProductionSpec == nil {
		return nil
	}
	baseText, err := c.recordedSpec(ctx, d.Protocol, p.ProductionSpec.Digest)
	if err != nil {
		return err
	}
	base, err := pvspec.Decode(p.ProductionSpec.Path+"@production", []byte(baseText))
	if err != nil {
		return pvczar.Errorf(pvczar.EINTERNAL, "the recorded production spec does not decode: %v", err)
	}
	for _, ch := range pvspec.Diff(base, s) {
		if ch.Severity == pvspec.Breaking && ch.Waived == "" {
			d.Breaking = append(d.Breaking, fmt.Sprintf("%s %s: %s", ch.Rule, ch.Path, ch.Reason))
		}
	}
	if len(d.Breaking) > 0 {
		fmt.Fprintf(c.stderr, "pvczar evidence: %d breaking change(s) against the production spec; a revision needs the Czar's waiver of gate %s\n", len(d.Breaking), pvczar.GateSpecCompat)
	}
	return nil
}

// recordedSpec finds the text of a spec recorded for a protocol in its
// evidence events, by digest.
func (c *cli) recordedSpec(ctx context.Context, protocol, digest string) (string, error) {
	svc, err := c.open(ctx)
	if err != nil {
		return "", err
	}
	events, err := svc.Events(ctx, pvczar.EventFilter{Stream: pvczar.ProtocolStream(protocol)})
	if err != nil {
		return "", err
	}
	for _, e := range events {
		if e.Type == pvczar.EventEvidenceRecorded && e.Data.Evidence == pvczar.EvidenceSpec && pvczar.SpecDigest(e.Data.SpecText) == digest {
			return e.Data.SpecText, nil
		}
	}
	return "", pvczar.Errorf(pvczar.EINTERNAL, "no evidence event of %s holds the production spec (digest %s)", protocol, digest)
}

// docCheckEvidence runs the design-document check on --file, for the
// prototype gate, and records whether it passed, with a summary of the
// findings; the findings themselves go to stderr.
func (c *cli) docCheckEvidence(d *pvczar.EventData) error {
	if c.opts.file == "" {
		return pvczar.Errorf(pvczar.EINVALID, "evidence doc-check needs --file DOC: it runs pvczar doc check on it")
	}
	findings, err := checkDoc(c.opts.file, c.opts.specFile, "", designdoc.StagePrototype)
	if err != nil {
		return err
	}
	for _, f := range findings {
		fmt.Fprintln(c.stderr, f)
	}
	errs := designdoc.Errors(findings)
	passed := errs == 0
	d.Passed = &passed
	rules := map[string]int{}
	var names []string
	for _, f := range findings {
		if f.Severity == designdoc.SevError {
			if rules[f.Rule] == 0 {
				names = append(names, f.Rule)
			}
			rules[f.Rule]++
		}
	}
	var parts []string
	for _, r := range names {
		parts = append(parts, fmt.Sprintf("%s ×%d", r, rules[r]))
	}
	d.Text = fmt.Sprintf("pvczar doc check %s: %d error(s), %d warning(s)", c.opts.file, errs, len(findings)-errs)
	if len(parts) > 0 {
		d.Text += ": " + strings.Join(parts, ", ")
	}
	return nil
}
