package pvczar

import (
	"fmt"
	"slices"
	"strings"
)

// Gate names.
const (
	GateDesignDoc       = "design-doc"
	GateDocCheck        = "doc-check"
	GateDesignThread    = "design-thread"
	GateImplementations = "implementations"
	GateVersion         = "version"
	GateCompatibility   = "compatibility"
	GateKnownIssues     = "known-issues"
	GateSpecCompat      = "spec-compat"
	GateHandshake       = "handshake"
)

// MaxEvidenceText bounds the text of a spec or a design document that an
// evidence event keeps.
const MaxEvidenceText = 1 << 20

// RevisionGates are the gates of a revision: a proposal on a production
// protocol, which adopts its latest recorded spec.
var RevisionGates = []string{GateSpecCompat, GateKnownIssues}

// gatesOf lists the gates of moving p from stage from to stage to: a
// revision's when from is production; and to production, when p has a
// spec, the proof of its handshake.
func gatesOf(p *Protocol, from, to Stage) []string {
	gates := GatesFor(to)
	if from == StageProduction && to == StageProduction {
		gates = RevisionGates
	}
	if to == StageProduction && p.Spec != nil {
		gates = append(slices.Clone(gates), GateHandshake)
	}
	return gates
}

// GatesFor lists the gates of a move to stage to, in order.
func GatesFor(to Stage) []string {
	switch to {
	case StagePrototype:
		return []string{GateDesignDoc, GateDocCheck, GateDesignThread}
	case StageProduction:
		return []string{GateImplementations, GateVersion, GateCompatibility, GateKnownIssues}
	}
	return nil
}

// Gates evaluates the gates of moving p to stage to, with the Czar's waivers.
func (r *Registry) Gates(p *Protocol, to Stage) []GateResult { return r.gates(p, p.Stage, to) }

// gates evaluates the gates of moving p from stage from to stage to: a
// proposal's are those of its move, even once its own patch, landed in
// xen.git, moved the protocol (Proposal.Landed).
func (r *Registry) gates(p *Protocol, from, to Stage) []GateResult {
	var out []GateResult
	for _, gate := range gatesOf(p, from, to) {
		passed, detail := p.checkGate(gate)
		g := GateResult{Gate: gate, Passed: passed, Detail: detail}
		if !passed {
			for _, w := range p.Waivers {
				if w.To == to && w.Gate == gate {
					g.Waived = true
					g.Detail = fmt.Sprintf("%s; waived by %s: %s", detail, w.By, w.Reason)
				}
			}
		}
		out = append(out, g)
	}
	return out
}

func (p *Protocol) checkGate(gate string) (bool, string) {
	switch gate {
	case GateDesignDoc:
		if p.DesignDoc == nil {
			return false, "no design document recorded (path and xen.git commit)"
		}
		return true, fmt.Sprintf("%s at %s", p.DesignDoc.Path, p.DesignDoc.Commit)
	case GateDocCheck:
		switch {
		case p.DocCheck == nil:
			return false, "no design-document check recorded"
		case !p.DocCheck.Passed:
			return false, "the design-document check failed: " + p.DocCheck.Note
		case p.DesignDoc != nil && p.DocCheck.Commit != p.DesignDoc.Commit:
			return false, fmt.Sprintf("the check passed for commit %s, not for the recorded document's commit %s", p.DocCheck.Commit, p.DesignDoc.Commit)
		}
		return true, "passed at " + p.DocCheck.Commit
	case GateHandshake:
		return p.handshakeGate()
	case GateSpecCompat:
		switch {
		case p.Spec == nil || p.ProductionSpec == nil:
			return false, "no spec recorded: record the revised spec (pvczar evidence PROTOCOL spec --file SPEC)"
		case p.Spec.Digest == p.ProductionSpec.Digest:
			return false, "the recorded spec is the production spec: nothing to revise"
		case len(p.Spec.Breaking) > 0:
			return false, fmt.Sprintf("%d breaking change(s) against the production spec (version %d%s): %s", len(p.Spec.Breaking), p.ProductionSpec.Version, atCommit(p.ProductionSpec.Commit), strings.Join(p.Spec.Breaking, "; "))
		}
		return true, fmt.Sprintf("no breaking change against the production spec (version %d%s)", p.ProductionSpec.Version, atCommit(p.ProductionSpec.Commit))
	case GateDesignThread:
		if p.DesignThread == "" {
			return false, "no design thread recorded"
		}
		return true, p.DesignThread
	case GateImplementations:
		var front, back, without []string
		for _, impl := range p.Implementations {
			if impl.UpstreamCommit == "" {
				without = append(without, impl.ID)
				continue
			}
			if impl.Side == SideFrontend {
				front = append(front, impl.ID)
			} else {
				back = append(back, impl.ID)
			}
		}
		if len(front) == 0 || len(back) == 0 {
			// Name them, so that the detail agrees with the table of
			// implementations beside it.
			detail := fmt.Sprintf("needs a frontend and a backend with an upstream commit; with one: frontends %s, backends %s", namesOrNone(front), namesOrNone(back))
			if len(without) > 0 {
				detail += "; no upstream commit recorded for " + strings.Join(without, ", ")
			}
			return false, withConformance(detail, p.conformanceDetail(append(front, back...)))
		}
		upstream := append(front, back...)
		return true, withConformance(strings.Join(upstream, ", "), p.conformanceDetail(upstream))
	case GateVersion:
		if p.Version == "" {
			return false, "no protocol version recorded"
		}
		return true, "version " + p.Version
	case GateCompatibility:
		c := p.Compatibility
		if c == nil || strings.TrimSpace(c.Backward) == "" || strings.TrimSpace(c.CrossPlatform) == "" {
			return false, "needs a compatibility statement covering backward and cross-platform compatibility"
		}
		return true, "statement recorded"
	case GateKnownIssues:
		var open []string
		for _, ki := range p.KnownIssues {
			if !ki.Closed && !ki.Accepted {
				open = append(open, fmt.Sprintf("#%d", ki.ID))
			}
		}
		if len(open) > 0 {
			return false, "known issues not accepted: " + strings.Join(open, ", ")
		}
		return true, "none open"
	}
	return false, "unknown gate"
}

// withConformance adds what the implementations conform to, if anything
// is said of it, to the implementations gate's detail.
func withConformance(detail, conformance string) string {
	if conformance == "" {
		return detail
	}
	return detail + "; " + conformance
}

func atCommit(commit string) string {
	if commit == "" {
		return ""
	}
	return " at " + commit
}

// namesOrNone lists names, or says "none".
func namesOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// handshakeGate passes when pvczar's model checker found the handshake of
// the latest spec sound: every pairing with the production spec, every
// combination of features. Failures that only follow a reconnection fault
// are named, not counted.
func (p *Protocol) handshakeGate() (bool, string) {
	h := p.Spec.Handshake
	switch {
	case h == nil:
		return false, "the spec was recorded before pvczar verified handshakes: record it again (pvczar evidence " + p.ID + " spec --file SPEC)"
	case h.Steps == 0:
		return false, "the spec describes no handshake (its handshake section is empty): pvczar spec verify has nothing to prove"
	case len(h.Failures) > 0:
		return false, fmt.Sprintf("pvczar spec verify finds %d broken propert%s (%d configurations, %d states): %s", len(h.Failures), plural(len(h.Failures), "y", "ies"), h.Configs, h.States, strings.Join(h.Failures, "; "))
	}
	detail := fmt.Sprintf("the handshake verifies: %d configurations, %d states", h.Configs, h.States)
	if len(h.AfterFaults) > 0 {
		detail += fmt.Sprintf("; after a reconnection fault (not blocking): %s", strings.Join(h.AfterFaults, "; "))
	}
	return true, detail
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
