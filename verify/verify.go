// Package verify runs pvczar's own checks on the evidence a command
// brings, so that a recorded result is never a client's word: for a spec,
// spec check and spec diff against the protocol's production spec; for a
// doc-check, the design-document check of the document's text (against
// the spec that comes with it, if one does).
//
// Service wraps a pvczar.Service (a store) and is what the CLI writes to
// locally and what the server writes to for its clients. A command that
// brings a result (passed, breaking, a doc-check's summary, a spec's
// version or features) is refused: those are computed here and only here. The root
// package stays pure: its rules take the results as facts.
//
// SpecFacts gives the design-document checker what it compares of a spec.
package verify

import (
	"context"
	"errors"
	"fmt"
	"github.com/xen-pvczar/pvczar/pvspec/handshake"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/designdoc"
	"github.com/xen-pvczar/pvczar/pvspec"
)

// Service is a pvczar.Service that checks evidence before it is recorded.
type Service struct {
	pvczar.Service
	// Now is the clock at which a command without a time finds the
	// production spec to compare with (default time.Now).
	Now func() time.Time
}

// New returns svc with evidence checked by pvczar.
func New(svc pvczar.Service) *Service { return &Service{Service: svc, Now: time.Now} }

// Act implements pvczar.Service: an evidence command is checked and given
// pvczar's findings first; every other command passes unchanged. Errors:
// EINVALID for evidence that fails its check or brings its own results,
// and those of the wrapped service.
func (s *Service) Act(ctx context.Context, cmd pvczar.Event) (pvczar.Event, error) {
	if cmd.Type == pvczar.EventEvidenceRecorded {
		if err := s.evidence(ctx, &cmd); err != nil {
			return pvczar.Event{}, err
		}
	}
	return s.Service.Act(ctx, cmd)
}

// evidence refuses results a command brings and computes pvczar's own.
func (s *Service) evidence(ctx context.Context, cmd *pvczar.Event) error {
	d := &cmd.Data
	switch {
	case d.Passed != nil:
		return pvczar.Errorf(pvczar.EINVALID, "field passed: pvczar runs the design-document check itself; send the document as doc_text, not a result")
	case d.Breaking != nil || d.Baseline != "":
		return pvczar.Errorf(pvczar.EINVALID, "field breaking: pvczar compares a spec with the production spec itself; send the spec as spec_text, not a result")
	}
	if d.Evidence != pvczar.EvidenceDocCheck && d.Evidence != pvczar.EvidenceSpec {
		return nil // nothing to check: the rules decide
	}
	at := cmd.At
	if at.IsZero() {
		at = s.Now()
	}
	reg, err := s.Registry(ctx, at)
	if err != nil {
		return err
	}
	if err := authorize(reg, *cmd, at); err != nil {
		return err
	}
	if d.Evidence == pvczar.EvidenceDocCheck {
		return checkDocEvidence(d)
	}
	return s.checkSpecEvidence(ctx, reg, d)
}

// authorize decides cmd with stand-in results against reg, so that who may
// not record evidence of a protocol, or one that does not exist, is told so
// before a check spends time on their text.
func authorize(reg *pvczar.Registry, cmd pvczar.Event, at time.Time) error {
	probe := cmd
	failed := false
	probe.At, probe.Data.Passed, probe.Data.SpecVersion = at, &failed, 1
	if p := reg.Protocols[cmd.Data.Protocol]; p != nil && p.ProductionSpec != nil {
		probe.Data.Baseline = p.ProductionSpec.Digest
	}
	_, err := reg.Decide(probe)
	switch pvczar.ErrorCode(err) {
	case pvczar.ENOTFOUND, pvczar.EUNAUTHORIZED, pvczar.EFORBIDDEN:
		return err
	}
	return nil // anything else is the real command's to report
}

// checkDocEvidence runs the design-document check on the command's
// document, for the gate to prototype, and records whether it passed and
// a summary of its errors by rule.
func checkDocEvidence(d *pvczar.EventData) error {
	switch {
	case d.Text != "":
		return pvczar.Errorf(pvczar.EINVALID, "field text: a doc-check's summary is pvczar's; send the document as doc_text")
	case strings.TrimSpace(d.DocText) == "":
		return pvczar.Errorf(pvczar.EINVALID, "a doc-check needs the design document's text (doc_text): pvczar checks it itself")
	case len(d.DocText) > pvczar.MaxEvidenceText:
		return pvczar.Errorf(pvczar.EINVALID, "doc_text has %d bytes; at most %d are checked", len(d.DocText), pvczar.MaxEvidenceText)
	}
	name := d.Path
	if name == "" {
		name = "document.md"
	}
	var spec *pvspec.Spec
	if d.SpecText != "" {
		var err error
		if spec, err = decodeSpec(d.SpecText); err != nil {
			return err
		}
	}
	findings, err := CheckDocument(name, []byte(d.DocText), spec)
	if err != nil {
		return err
	}
	passed, summary := Summarize(name, findings)
	d.Passed, d.Text = &passed, summary
	return nil
}

// CheckDocument checks a design document (named name, a .h name for a C
// header) for the gate to prototype, against spec when it is not nil.
// Errors: EINVALID when the document cannot be read.
func CheckDocument(name string, doc []byte, spec *pvspec.Spec) ([]designdoc.Finding, error) {
	parsed, err := designdoc.Parse(name, doc)
	if err != nil {
		return nil, pvczar.Errorf(pvczar.EINVALID, "%v", err)
	}
	opts := designdoc.Options{Stage: designdoc.StagePrototype}
	if spec != nil {
		opts.Spec = SpecFacts(spec)
	}
	return designdoc.Check(parsed, opts), nil
}

// Summarize says whether a document passed (no finding is an error) and
// counts its errors by rule, in the order they first appear.
func Summarize(name string, findings []designdoc.Finding) (bool, string) {
	counts := map[string]int{}
	var rules []string
	for _, f := range findings {
		if f.Severity == designdoc.SevError {
			if counts[f.Rule] == 0 {
				rules = append(rules, f.Rule)
			}
			counts[f.Rule]++
		}
	}
	errs := designdoc.Errors(findings)
	text := fmt.Sprintf("pvczar doc check %s: %d error(s), %d warning(s)", name, errs, len(findings)-errs)
	var parts []string
	for _, r := range rules {
		parts = append(parts, fmt.Sprintf("%s ×%d", r, counts[r]))
	}
	if len(parts) > 0 {
		text += ": " + strings.Join(parts, ", ")
	}
	return errs == 0, text
}

// checkSpecEvidence refuses a spec that spec check does not pass, reads
// the protocol version and the features' names from it (an
// implementation's conformance names them), and on a protocol with a production spec
// lists the unwaived breaking changes spec diff finds against it: they
// fail the revision's spec-compat gate until the Czar waives it.
func (s *Service) checkSpecEvidence(ctx context.Context, reg *pvczar.Registry, d *pvczar.EventData) error {
	if d.SpecVersion != 0 {
		return pvczar.Errorf(pvczar.EINVALID, "field spec_version: pvczar reads the version from the spec itself")
	}
	if d.SpecFeatures != nil {
		return pvczar.Errorf(pvczar.EINVALID, "field spec_features: pvczar reads the features from the spec itself")
	}
	if d.Handshake != nil {
		return pvczar.Errorf(pvczar.EINVALID, "field handshake: pvczar verifies the spec's handshake itself")
	}
	if strings.TrimSpace(d.SpecText) == "" {
		return pvczar.Errorf(pvczar.EINVALID, "a spec needs its text (spec_text)")
	}
	spec, err := decodeSpec(d.SpecText)
	if err != nil {
		return err
	}
	if findings := pvspec.Check(spec); len(findings) > 0 {
		var first []string
		for _, f := range findings[:min(3, len(findings))] {
			first = append(first, f.String())
		}
		return pvczar.Errorf(pvczar.EINVALID, "spec_text does not pass spec check: %d finding(s): %s", len(findings), strings.Join(first, "; "))
	}
	d.SpecVersion = spec.Version
	for _, f := range spec.Features {
		d.SpecFeatures = append(d.SpecFeatures, f.Name)
	}
	p := reg.Protocols[d.Protocol]
	if p.ProductionSpec == nil {
		// A first spec has nothing to be compared with.
		d.Handshake, err = verifyHandshake(ctx, spec, nil)
		return err
	}
	baseText, err := s.recordedSpec(ctx, d.Protocol, p.ProductionSpec.Digest)
	if err != nil {
		return err
	}
	base, err := pvspec.Decode(p.ProductionSpec.Path+"@production", []byte(baseText))
	if err != nil {
		return pvczar.Errorf(pvczar.EINTERNAL, "the recorded production spec of %s does not decode: %v", d.Protocol, err)
	}
	if d.Handshake, err = verifyHandshake(ctx, spec, base); err != nil {
		return err
	}
	d.Baseline = p.ProductionSpec.Digest
	d.Breaking = []string{}
	for _, ch := range pvspec.Diff(base, spec) {
		if ch.Severity == pvspec.Breaking && ch.Waived == "" {
			d.Breaking = append(d.Breaking, fmt.Sprintf("%s %s: %s", ch.Rule, ch.Path, ch.Reason))
		}
	}
	return nil
}

// handshakeBudget bounds the time a spec's handshake may take to verify,
// beside the verifier's bounds on states and configurations.
const handshakeBudget = 10 * time.Second

// verifyHandshake model-checks a spec's handshake, paired with the
// production spec (old) when there is one: the handshake gate's evidence.
// A search past its bounds is a failure of the spec, named.
func verifyHandshake(ctx context.Context, spec, old *pvspec.Spec) (*pvczar.HandshakeRecord, error) {
	h := &pvczar.HandshakeRecord{Steps: len(spec.Handshake)}
	if h.Steps == 0 {
		return h, nil
	}
	budget, cancel := context.WithTimeout(ctx, handshakeBudget)
	defer cancel()
	res, err := handshake.Verify(budget, spec, handshake.Options{Old: old})
	var limit *handshake.LimitError
	switch {
	case errors.As(err, &limit):
		h.Bounded, h.Failures = true, []string{limit.Error()}
		return h, nil
	case err != nil && ctx.Err() != nil:
		return nil, err
	case err != nil && budget.Err() != nil:
		h.Bounded, h.Failures = true, []string{fmt.Sprintf("the search took longer than %s: the handshake has too many interleavings to prove", handshakeBudget)}
		return h, nil
	case err != nil:
		return nil, pvczar.Errorf(pvczar.EINVALID, "spec_text: its handshake cannot be verified: %v", err)
	}
	h.Configs, h.States = res.Configs, res.States
	for _, f := range res.Failures {
		line := f.Property + ": " + f.Message
		if f.Fault != "" {
			h.AfterFaults = append(h.AfterFaults, f.Fault+", "+line)
		} else {
			h.Failures = append(h.Failures, line)
		}
	}
	return h, nil
}

// recordedSpec finds the text of a spec recorded for a protocol in its
// evidence events, by digest.
func (s *Service) recordedSpec(ctx context.Context, protocol, digest string) (string, error) {
	return SpecText(ctx, s.Service, protocol, digest)
}

// SpecText finds the text of a spec recorded for a protocol in its
// evidence events, by digest.
func SpecText(ctx context.Context, svc pvczar.Service, protocol, digest string) (string, error) {
	events, err := svc.Events(ctx, pvczar.EventFilter{Stream: pvczar.ProtocolStream(protocol)})
	if err != nil {
		return "", err
	}
	for _, e := range events {
		if e.Type == pvczar.EventEvidenceRecorded && e.Data.Evidence == pvczar.EvidenceSpec && pvczar.SpecDigest(e.Data.SpecText) == digest {
			return e.Data.SpecText, nil
		}
	}
	return "", pvczar.Errorf(pvczar.EINTERNAL, "no evidence event of %s holds the spec with digest %s", protocol, digest)
}

// HandshakeTrace verifies again the handshake of a protocol's latest spec,
// as its evidence was verified, and returns the shortest trace of its
// first failure (one of the handshake itself before one after a fault),
// or nil when it has none.
func HandshakeTrace(ctx context.Context, svc pvczar.Service, p *pvczar.Protocol) (*handshake.Trace, error) {
	if p.Spec == nil {
		return nil, nil
	}
	decode := func(rec *pvczar.SpecRecord, name string) (*pvspec.Spec, error) {
		text, err := SpecText(ctx, svc, p.ID, rec.Digest)
		if err != nil {
			return nil, err
		}
		return pvspec.Decode(name, []byte(text))
	}
	spec, err := decode(p.Spec, p.Spec.Path)
	if err != nil {
		return nil, err
	}
	var old *pvspec.Spec
	if p.ProductionSpec != nil && p.ProductionSpec.Digest != p.Spec.Digest {
		if old, err = decode(p.ProductionSpec, p.ProductionSpec.Path+"@production"); err != nil {
			return nil, err
		}
	}
	if p.Spec.Handshake != nil && p.Spec.Handshake.Bounded {
		return nil, nil // a search past its bounds has no trace, only its verdict
	}
	budget, cancel := context.WithTimeout(ctx, handshakeBudget)
	defer cancel()
	res, err := handshake.Verify(budget, spec, handshake.Options{Old: old})
	if err != nil {
		return nil, err
	}
	var first *handshake.Trace
	for _, f := range res.Failures {
		if f.Fault == "" {
			return f.Trace, nil
		}
		if first == nil {
			first = f.Trace
		}
	}
	return first, nil
}

func decodeSpec(text string) (*pvspec.Spec, error) {
	if len(text) > pvczar.MaxEvidenceText {
		return nil, pvczar.Errorf(pvczar.EINVALID, "spec_text has %d bytes; at most %d are kept", len(text), pvczar.MaxEvidenceText)
	}
	s, err := pvspec.Decode("spec_text", []byte(text))
	if err != nil {
		return nil, pvczar.Errorf(pvczar.EINVALID, "%v", err)
	}
	return s, nil
}
