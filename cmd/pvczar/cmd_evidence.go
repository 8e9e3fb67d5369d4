package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/pvspec"
	"github.com/xen-pvczar/pvczar/verify"
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
			fs.StringVar(&o.conforms, "conforms", "", "the version of the protocol's recorded spec it conforms to, e.g. 2")
			fs.StringVar(&o.features, "features", "", "with --conforms: the spec's features it conforms with, comma-separated")
			fs.StringVar(&o.conformanceResult, "conformance-result", "", "a conformance run's result, a JSON file (protocol, implementation, spec_version, features, passed, tool, tool_version, date)")
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
			if err := c.conformance(impl); err != nil {
				return err
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
				if err := c.specEvidence(&d); err != nil {
					return err
				}
			default:
				if value != "" {
					return pvczar.Errorf(pvczar.EINVALID, "evidence %s takes flags, not a value (%q)", args[1], value)
				}
			}
			e, err := c.record(ctx, pvczar.EventEvidenceRecorded, d)
			if err != nil {
				return err
			}
			if n := len(e.Data.Breaking); n > 0 {
				fmt.Fprintf(c.stderr, "pvczar evidence: %d breaking change(s) against the production spec; a revision needs the Czar's waiver of gate %s\n", n, pvczar.GateSpecCompat)
			}
			return c.printEvent(e)
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

// conformance reads --conforms, --features and --conformance-result into
// the conformance impl records: a run's result gives the version and the
// features, which --conforms and --features, if given too, must agree with
// (the rules check it, and that the protocol's spec has them).
func (c *cli) conformance(impl *pvczar.Implementation) error {
	o := c.opts
	if o.conforms == "" && o.conformanceResult == "" {
		if o.features != "" {
			return pvczar.Errorf(pvczar.EINVALID, "--features names the features of a spec version: give it with --conforms or --conformance-result")
		}
		return nil
	}
	var conf pvczar.Conformance
	if o.conforms != "" {
		v, err := strconv.Atoi(strings.TrimPrefix(o.conforms, "v"))
		if err != nil || v < 1 {
			return pvczar.Errorf(pvczar.EINVALID, "--conforms %q: want a version of the protocol's spec, e.g. 2", o.conforms)
		}
		conf.SpecVersion = v
	}
	conf.Features = splitList(o.features)
	if o.conformanceResult != "" {
		data, err := readBounded(o.conformanceResult, pvczar.MaxConformanceResult)
		if err != nil {
			return err
		}
		if conf.Run, err = pvczar.ParseConformanceRun(data); err != nil {
			return pvczar.Errorf(pvczar.EINVALID, "%s: %s", o.conformanceResult, pvczar.ErrorMessage(err))
		}
	}
	impl.Conformance = []pvczar.Conformance{conf}
	return nil
}

// specEvidence reads the spec of --file and refuses it unless spec check
// passes (printing the findings); the store's verifier (package verify), or
// the server's, checks it again and compares it with the production spec.
func (c *cli) specEvidence(d *pvczar.EventData) error {
	if c.opts.file == "" {
		return pvczar.Errorf(pvczar.EINVALID, "evidence spec needs --file SPEC")
	}
	text, err := readBounded(c.opts.file, pvczar.MaxEvidenceText)
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
	d.SpecText = string(text)
	if d.Path == "" {
		d.Path = c.opts.file
	}
	return nil
}

// docCheckEvidence reads the design document of --file (and the spec of
// --spec) for the evidence, and prints the findings of the check the
// verifier runs on them, for the prototype gate.
func (c *cli) docCheckEvidence(d *pvczar.EventData) error {
	if c.opts.file == "" {
		return pvczar.Errorf(pvczar.EINVALID, "evidence doc-check needs --file DOC: pvczar checks the document itself")
	}
	doc, err := readBounded(c.opts.file, pvczar.MaxEvidenceText)
	if err != nil {
		return err
	}
	var spec *pvspec.Spec
	if c.opts.specFile != "" {
		text, err := readBounded(c.opts.specFile, pvczar.MaxEvidenceText)
		if err != nil {
			return err
		}
		if spec, err = decodeSpec(c.opts.specFile, text); err != nil {
			return err
		}
		d.SpecText = string(text)
	}
	findings, err := verify.CheckDocument(c.opts.file, doc, spec)
	if err != nil {
		return err
	}
	for _, f := range findings {
		fmt.Fprintln(c.stderr, f)
	}
	d.DocText = string(doc)
	if d.Path == "" {
		d.Path = filepath.Base(c.opts.file)
	}
	return nil
}
