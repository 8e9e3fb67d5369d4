package pvczar

import (
	"maps"
	"slices"
	"time"
)

// Clone returns a deep copy of the registry: changing or advancing the copy
// leaves r as it was. Stores use it to keep one folded state in memory and
// hand out evaluations of it.
func (r *Registry) Clone() *Registry {
	ids := make([]string, 0, len(r.Protocols))
	for id := range r.Protocols {
		ids = append(ids, id)
	}
	return r.CloneFor(ids...)
}

// CloneFor returns a deep copy of the users and of the named protocols only,
// enough to decide a command about one protocol.
func (r *Registry) CloneFor(protocols ...string) *Registry {
	c := NewRegistry(r.config)
	for name, u := range r.Users {
		cu := *u
		c.Users[name] = &cu
	}
	for _, id := range protocols {
		if p := r.Protocols[id]; p != nil {
			c.Protocols[id] = p.clone()
		}
	}
	c.Anomalies = slices.Clone(r.Anomalies)
	c.latest, c.awayChanges = r.latest, r.awayChanges
	c.Unapplied = slices.Clone(r.Unapplied)
	c.Candidates = slices.Clone(r.Candidates)
	c.threads = maps.Clone(r.threads)
	return c
}

func (p *Protocol) clone() *Protocol {
	c := *p
	c.Owners = slices.Clone(p.Owners)
	c.Aliases = slices.Clone(p.Aliases)
	c.DesignDoc = clonePtr(p.DesignDoc)
	c.DocCheck = clonePtr(p.DocCheck)
	c.Spec = clonePtr(p.Spec) // records are never changed in place
	c.ProductionSpec = clonePtr(p.ProductionSpec)
	c.Compatibility = clonePtr(p.Compatibility)
	c.KnownIssues = slices.Clone(p.KnownIssues)
	c.Implementations = slices.Clone(p.Implementations)
	for i := range c.Implementations {
		c.Implementations[i].Series = slices.Clone(c.Implementations[i].Series)
	}
	c.Waivers = slices.Clone(p.Waivers)
	c.History = slices.Clone(p.History)
	c.Proposals = make([]*Proposal, len(p.Proposals))
	for i, pr := range p.Proposals {
		c.Proposals[i] = pr.clone()
	}
	c.pending = slices.Clone(p.pending)
	return &c
}

func (pr *Proposal) clone() *Proposal {
	c := *pr
	c.Decision = clonePtr(pr.Decision)
	c.Landed = clonePtr(pr.Landed)
	c.Positions = slices.Clone(pr.Positions)
	c.Revisions = slices.Clone(pr.Revisions)
	c.Objections = make([]*Objection, len(pr.Objections))
	for i, o := range pr.Objections {
		co := *o
		co.Replies = slices.Clone(o.Replies)
		co.Closed = clonePtr(o.Closed)
		c.Objections[i] = &co
	}
	c.Holds = make([]*Hold, len(pr.Holds))
	for i, h := range pr.Holds {
		ch := *h
		c.Holds[i] = &ch
	}
	c.Quorum.By = slices.Clone(pr.Quorum.By)
	c.Gates = slices.Clone(pr.Gates)
	c.ReadySince = clonePtr(pr.ReadySince)
	c.Needs = slices.Clone(pr.Needs)
	return &c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// NextTimer returns the earliest instant after the protocols' clocks at
// which a clock-driven change (a window closing, an objection lapsing, ...)
// is due, and false when none is set. The scheduler sleeps until then.
// It only reads r (nextTimer returns the firing function without calling
// it), so it is safe on a registry shared by readers.
func (r *Registry) NextTimer() (time.Time, bool) {
	var next time.Time
	found := false
	for _, p := range r.Protocols {
		due, fire := r.nextTimer(p)
		if fire != nil && (!found || due.Before(next)) {
			next, found = due, true
		}
	}
	return next, found
}

// Evaluate returns the registry evaluated at now, as a new registry that
// shares nothing mutable with r, which stays as it was. Readers may share
// the result but must not change it.
//
// prev, an earlier result of Evaluate (or nil), lends its protocols where
// re-evaluating would change nothing but the clock: the protocol has logged
// no event since (same LogVersion), prev's clock is not after now, and no
// timer falls due by now; and no absence was declared or cancelled since
// (an absence moves lapse instants, also those prev fired already). Such a protocol is a shallow copy of prev's with
// its clock set to now, so a read after one write clones one protocol, not
// the registry.
func (r *Registry) Evaluate(now time.Time, prev *Registry) *Registry {
	out := NewRegistry(r.config)
	for name, u := range r.Users {
		cu := *u
		out.Users[name] = &cu
	}
	out.Anomalies = slices.Clone(r.Anomalies)
	out.latest, out.awayChanges = r.latest, r.awayChanges
	out.Unapplied = slices.Clone(r.Unapplied)
	out.Candidates = slices.Clone(r.Candidates)
	out.threads = maps.Clone(r.threads)
	for id, p := range r.Protocols {
		if prev != nil && prev.awayChanges == r.awayChanges {
			if old := prev.Protocols[id]; old != nil && old.LogVersion == p.LogVersion && !old.Clock.After(now) {
				if due, fire := prev.nextTimer(old); fire == nil || due.After(now) {
					c := *old
					c.Clock = now
					out.Protocols[id] = &c
					continue
				}
			}
		}
		c := p.clone()
		out.Protocols[id] = c
		out.advance(c, now)
	}
	return out
}
