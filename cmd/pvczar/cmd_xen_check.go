package main

import (
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/designdoc"
	"github.com/xen-pvczar/pvczar/xen"
)

func init() {
	register(&command{
		name: "xen check", args: "REPO",
		summary: "check a xen.git tree for Xen's CI: SUPPORT.md against the io headers, design documents (and their doc check), dangling references, stale prototypes, MAINTAINERS coverage, and the registry when --db is given; exit 6 on errors or warnings",
		read:    true, nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.rev, "rev", "HEAD", "the revision to check")
			fs.StringVar(&o.since, "since", "", "report only the findings that the commits after this revision introduced")
			fs.StringVar(&o.format, "format", "text", "text, json or junit (for GitLab's test reports)")
		},
		run: runXenCheck,
	})
}

// checkReport is what xen check prints as JSON.
type checkReport struct {
	Rev      string        `json:"rev"`
	At       time.Time     `json:"at"`
	Since    string        `json:"since,omitempty"`
	Findings []xen.Finding `json:"findings"`
	Failing  int           `json:"failing"`
}

func runXenCheck(ctx context.Context, c *cli, args []string) error {
	format := c.opts.format
	if c.json {
		format = "json"
	}
	if format != "text" && format != "json" && format != "junit" {
		return pvczar.Errorf(pvczar.EINVALID, "--format %q: want text, json or junit", format)
	}
	now, err := c.now()
	if err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	opt := xen.CheckOptions{Now: now, StaleDays: cfg.StaleDays, CheckDoc: checkDesignDoc}
	if c.dbGiven || c.server != "" {
		if opt.Registry, _, err = c.registry(ctx); err != nil {
			return err
		}
	}
	repo, err := xen.OpenRepo(ctx, args[0])
	if err != nil {
		return err
	}
	report := checkReport{At: now}
	report.Rev, report.Findings, err = checkTree(ctx, repo, c.opts.rev, opt)
	if err != nil {
		return err
	}
	if c.opts.since != "" {
		var before []xen.Finding
		if report.Since, before, err = checkTree(ctx, repo, c.opts.since, opt); err != nil {
			return err
		}
		report.Findings = xen.Introduced(report.Findings, before)
	}
	if report.Findings == nil {
		report.Findings = []xen.Finding{}
	}
	for _, f := range report.Findings {
		if f.Fails() {
			report.Failing++
		}
	}
	switch format {
	case "json":
		err = printJSON(c.stdout, report)
	case "junit":
		err = printJUnit(c.stdout, report)
	default:
		printCheck(c.stdout, report)
	}
	if err != nil {
		return err
	}
	if report.Failing > 0 {
		return checkFindings{report.Failing}
	}
	return nil
}

// checkTree checks the tree at rev.
func checkTree(ctx context.Context, repo *xen.Repo, rev string, opt xen.CheckOptions) (string, []xen.Finding, error) {
	h, err := xen.ReadHistory(ctx, repo, rev)
	if err != nil {
		return "", nil, err
	}
	t, err := xen.ReadTree(ctx, repo, h.Head)
	if err != nil {
		return "", nil, err
	}
	findings, err := xen.Check(ctx, h, t, opt)
	return h.Head, findings, err
}

// checkDesignDoc runs the design-document check for xen check, against
// the protocol's header, and keeps its errors. A header the C reader
// cannot read is a note, and the document is checked on its own.
func checkDesignDoc(c xen.DocCheck) []xen.Finding {
	d, err := designdoc.Parse(c.Doc, c.DocData)
	if err != nil {
		f := xen.Finding{Rule: xen.RuleDocCheck, Severity: xen.Warning, File: c.Doc, Message: err.Error()}
		if pe := (*designdoc.ParseError)(nil); errors.As(err, &pe) {
			f.Line, f.Message = pe.Line, pe.Msg
		}
		return []xen.Finding{f}
	}
	var out []xen.Finding
	opts := designdoc.Options{Stage: string(c.Stage)}
	if c.HeaderData != nil {
		if opts.Header, err = headerFacts(c.Header, c.HeaderData); err != nil {
			out = append(out, xen.Finding{Rule: xen.RuleDocCheck, Severity: xen.Note, File: c.Doc, Line: 1,
				Message: fmt.Sprintf("not compared with %s, which the C reader cannot read: %v", c.Header, err)})
		}
	}
	for _, f := range designdoc.Check(d, opts) {
		if f.Severity == designdoc.SevError {
			out = append(out, xen.Finding{Rule: xen.RuleDocCheck, Severity: xen.Warning, File: c.Doc, Line: f.Line, Message: f.Msg + " (" + f.Rule + ")"})
		}
	}
	return out
}

func printCheck(w io.Writer, r checkReport) {
	for _, f := range r.Findings {
		fmt.Fprintln(w, f)
	}
	scope := "at " + pvczar.ShortCommit(r.Rev)
	if r.Since != "" {
		scope = fmt.Sprintf("introduced after %s up to %s", pvczar.ShortCommit(r.Since), pvczar.ShortCommit(r.Rev))
	}
	fmt.Fprintf(w, "%d finding(s) %s, %d failing (errors and warnings)\n", len(r.Findings), scope, r.Failing)
}

// printJUnit writes the findings as a JUnit report: a test case per
// finding, failed for errors and warnings, skipped for notes.
func printJUnit(w io.Writer, r checkReport) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	type skipped struct {
		Message string `xml:"message,attr"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		File      string   `xml:"file,attr,omitempty"`
		Line      int      `xml:"line,attr,omitempty"`
		Failure   *failure `xml:"failure,omitempty"`
		Skipped   *skipped `xml:"skipped,omitempty"`
	}
	type suite struct {
		XMLName   xml.Name   `xml:"testsuite"`
		Name      string     `xml:"name,attr"`
		Tests     int        `xml:"tests,attr"`
		Failures  int        `xml:"failures,attr"`
		Skipped   int        `xml:"skipped,attr"`
		Timestamp string     `xml:"timestamp,attr"`
		Cases     []testcase `xml:"testcase"`
	}
	s := suite{Name: "pvczar xen check " + pvczar.ShortCommit(r.Rev), Timestamp: r.At.UTC().Format(time.RFC3339)}
	for _, f := range r.Findings {
		tc := testcase{Name: fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Rule), Classname: "xen." + f.Rule, File: f.File, Line: f.Line}
		if f.Fails() {
			tc.Failure = &failure{Message: f.Message, Type: string(f.Severity), Text: f.String()}
			s.Failures++
		} else {
			tc.Skipped = &skipped{Message: f.Message}
			s.Skipped++
		}
		s.Cases = append(s.Cases, tc)
	}
	if len(s.Cases) == 0 {
		s.Cases = append(s.Cases, testcase{Name: "xen check", Classname: "xen"})
	}
	s.Tests = len(s.Cases)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
