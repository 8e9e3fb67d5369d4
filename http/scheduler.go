package http

import (
	"context"
	"time"
)

// RunScheduler applies the lifecycle's clock until ctx ends: it ticks when
// the next timer (a window closing, an objection lapsing, a hold expiring,
// a proposal stalling, a decision becoming overdue, a protocol going stale)
// is due, at the latest every TickEvery, and after writes that may have set
// a timer. The store writes each clock event exactly once, however many
// servers tick the same database.
func (s *Server) RunScheduler(ctx context.Context) {
	for {
		next := s.TickOnce(ctx)
		ran := time.Now()
		wait := s.opts.TickEvery
		if !next.IsZero() {
			// How long until then on the server's clock (which tests shift).
			d := next.Sub(s.opts.Now())
			if d <= 0 {
				d = time.Second // due but not written: the tick failed; do not spin
			}
			wait = min(wait, d+10*time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
			// Writes come in bursts: look at most once a second. A write
			// sets timers days ahead, or fires those already due, which can
			// wait a second.
			if d := time.Second - time.Since(ran); d > 0 {
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-time.After(d):
				}
			}
		case <-t.C:
		}
		t.Stop()
	}
}

// TickOnce writes the clock events due now and returns when the next timer
// is due (zero when none is set). Errors are logged and counted: the
// scheduler tries again on its next run.
func (s *Server) TickOnce(ctx context.Context) time.Time {
	s.metrics.add("pvczar_scheduler_runs_total", 1)
	now := s.now()
	written, err := s.svc.Tick(ctx, now, false)
	if err != nil {
		if ctx.Err() == nil {
			s.metrics.add("pvczar_scheduler_errors_total", 1)
			s.log.Error("scheduler: tick failed", "err", err)
		}
		return time.Time{}
	}
	for _, e := range written {
		s.log.Info("scheduler: clock event", "seq", e.Seq, "type", e.Type, "at", e.At, "event", e.Describe())
	}
	s.metrics.add("pvczar_scheduler_events_written_total", int64(len(written)))
	reg, err := s.svc.Registry(ctx, now)
	if err != nil {
		return time.Time{}
	}
	next, ok := reg.NextTimer()
	if !ok {
		return time.Time{}
	}
	return next
}

// poke wakes the scheduler after a write.
func (s *Server) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
