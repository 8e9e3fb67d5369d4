package pvczar

import (
	"fmt"
	"time"
)

// The lifecycle's clock: each protocol keeps its own Clock (the latest
// instant its state was evaluated at). Timers (a window closing, an objection
// lapsing, a hold expiring, a proposal stalling, a decision becoming overdue,
// a protocol going stale) fire in time order as the clock moves; each firing
// changes the state and leaves a pending clock event, which the scheduler
// writes to the log. A replay meets the same timers at the same instants.

// advance moves p's clock forward to t, firing every timer due by then.
func (r *Registry) advance(p *Protocol, t time.Time) {
	r.fireUntil(p, t)
	if t.After(p.Clock) {
		p.Clock = t
	}
	r.evaluate(p)
}

// settle fires the timers already due at p's clock, after a change.
func (r *Registry) settle(p *Protocol) { r.advance(p, p.Clock) }

func (r *Registry) fireUntil(p *Protocol, t time.Time) {
	for {
		r.evaluate(p)
		due, fire := r.nextTimer(p)
		if fire == nil || due.After(t) {
			return
		}
		if due.After(p.Clock) {
			p.Clock = due
		}
		fire(p.Clock)
	}
}

// nextTimer returns the earliest timer of p and the function that fires it,
// or nil when no timer is set.
func (r *Registry) nextTimer(p *Protocol) (time.Time, func(at time.Time)) {
	var best time.Time
	var bestFire func(time.Time)
	consider := func(at time.Time, fire func(time.Time)) {
		if bestFire == nil || at.Before(best) {
			best, bestFire = at, fire
		}
	}
	cfg := r.config
	if p.Stage == StagePrototype && !p.Stale && p.OpenProposal() == nil {
		consider(p.StageSince.Add(days(cfg.StaleDays)), func(at time.Time) {
			p.Stale = true
			p.addPending(EventProtocolStale, at, "", "", "")
		})
	}
	pr := p.OpenProposal()
	if pr == nil {
		return best, bestFire
	}
	if !pr.WindowClosed {
		consider(pr.ClosesAt(), func(at time.Time) {
			pr.WindowClosed = true
			p.addPending(EventWindowClosed, at, pr.ID, "", "")
		})
	}
	for _, o := range pr.Objections {
		if o.Status != ObjectionOpen {
			continue
		}
		if o.Ball == BallObjector {
			consider(r.LapsesAt(o), func(at time.Time) {
				o.Status = ObjectionLapsed
				p.addPending(EventObjectionLapsed, at, pr.ID, o.Name, "")
			})
		} else if !pr.Stalled {
			consider(o.BallSince.Add(days(cfg.StallDays)), func(at time.Time) {
				pr.Stalled = true
				p.addPending(EventProposalStalled, at, pr.ID, o.Name, "")
			})
		}
	}
	for _, h := range pr.Holds {
		if h.Status == HoldActive {
			consider(h.Expires, func(at time.Time) {
				h.Status, h.Ended = HoldExpired, at
				p.addPending(EventHoldExpired, at, pr.ID, "", h.Holder)
			})
		}
	}
	if pr.ReadySince != nil && !pr.Overdue {
		consider(pr.ReadySince.Add(days(cfg.OverdueDays)), func(at time.Time) {
			pr.Overdue = true
			p.addPending(EventDecisionOverdue, at, pr.ID, "", "")
		})
	}
	return best, bestFire
}

func days(n int) time.Duration { return time.Duration(n) * Day }

// addPending records a clock event that the state now reflects but the log
// does not hold yet. Its key makes writing it idempotent.
func (p *Protocol) addPending(t EventType, at time.Time, proposal, objection, holder string) {
	subject := objection + holder
	key := fmt.Sprintf("%s/%s/%s/%s/%s", t, p.ID, proposal, subject, at.UTC().Format(time.RFC3339))
	p.pending = append(p.pending, Event{
		Stream: ProtocolStream(p.ID), Key: key, Type: t, At: at, Actor: SourceClock, Source: SourceClock,
		Data: EventData{Protocol: p.ID, Proposal: proposal, Objection: objection, Holder: holder},
	})
}

// evaluate recomputes what follows from p's state at its clock without any
// timer firing: gates, quorum, blocking, readiness and the words of what a
// proposal still needs.
func (r *Registry) evaluate(p *Protocol) {
	if p.Stale && (p.Stage != StagePrototype || p.OpenProposal() != nil) {
		p.Stale = false
	}
	pr := p.OpenProposal()
	if pr == nil {
		return
	}
	now := p.Clock
	pr.Gates = r.gates(p, pr.From, pr.To)
	pr.Quorum = r.quorum(pr)
	var needs []string
	if !pr.WindowClosed {
		needs = append(needs, "the window to close at "+FormatAoE(pr.Deadline))
	}
	stalled := false
	for _, o := range pr.Objections {
		o.Blocking = o.Status == ObjectionOpen
		if !o.Blocking {
			continue
		}
		holder := "the proposer"
		if o.Ball == BallObjector {
			holder = o.Author
		}
		needs = append(needs, fmt.Sprintf("objection %q by %s to end (ball with %s since %s)", o.Name, o.Author, holder, FormatUTC(o.BallSince)))
		if o.Ball == BallProposer && !now.Before(o.BallSince.Add(days(r.config.StallDays))) {
			stalled = true
		}
	}
	pr.Stalled = pr.Stalled && stalled
	for _, h := range pr.Holds {
		if h.Status == HoldActive {
			needs = append(needs, fmt.Sprintf("the hold of %s to end (it expires %s)", h.Holder, FormatUTC(h.Expires)))
		}
	}
	if !pr.Quorum.Met() {
		needs = append(needs, fmt.Sprintf("%d more maintainer ack(s) (has %d of %d)", pr.Quorum.Need-pr.Quorum.Have, pr.Quorum.Have, pr.Quorum.Need))
	}
	for _, g := range pr.Gates {
		if !g.OK() {
			needs = append(needs, fmt.Sprintf("gate %s: %s", g.Gate, g.Detail))
		}
	}
	pr.Needs = needs
	pr.Ready = len(needs) == 0
	switch {
	case pr.Ready && pr.ReadySince == nil:
		since := now
		pr.ReadySince = &since
	case !pr.Ready:
		pr.ReadySince, pr.Overdue = nil, false
	}
}

// quorum counts acks from maintainers (or the Czar) other than the proposer
// whose latest stance on the proposal is still an ack, given on the
// patch's current version or on an earlier one with the same patch-id.
func (r *Registry) quorum(pr *Proposal) Quorum {
	latest := map[string]Position{}
	var order []string
	for _, pos := range pr.Positions {
		switch pos.Kind {
		case PositionAck, PositionAbstain, PositionRecuse:
			old, seen := latest[pos.Author]
			if !seen {
				order = append(order, pos.Author)
			} else if laterAckOnOlderPatch(old, pos) {
				continue
			}
			latest[pos.Author] = pos
		}
	}
	q := Quorum{Need: r.config.QuorumAcks}
	for _, who := range order {
		pos := latest[who]
		switch {
		case pos.Kind != PositionAck:
		case who == pr.Proposer:
			q.NotCounted = append(q.NotCounted, UncountedAck{who, "the proposer's own ack does not count"})
		case pos.Role != RoleMaintainer && pos.Role != RoleCzar:
			q.NotCounted = append(q.NotCounted, UncountedAck{who, fmt.Sprintf("only maintainers' and the Czar's acks count, and %s acked as a %s", who, pos.Role)})
		default:
			carried, why := pr.ackOnVersion(pos)
			if why != "" {
				q.NotCounted = append(q.NotCounted, UncountedAck{who, why})
				continue
			}
			q.Have++
			q.By = append(q.By, who)
			if carried != nil {
				q.Carried = append(q.Carried, *carried)
			}
		}
	}
	return q
}
