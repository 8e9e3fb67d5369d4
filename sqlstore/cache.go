package sqlstore

import (
	"context"
	"sync"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// cache keeps the fold of the whole log in memory, so that a read costs one
// query for the events logged since the last read instead of a replay. It
// relies on events becoming visible in seq order: every write transaction
// takes the dialect's write lock before it inserts, so seq order is commit
// order, also when several processes share one database.
type cache struct {
	mu       sync.Mutex
	reg      *pvczar.Registry // the fold of events 1..seq, never advanced beyond them
	seq      int64
	versions map[string]int // the latest version of each stream

	// The latest evaluation handed out, shared by reads of the same instant.
	view    *pvczar.Registry
	viewAt  time.Time
	viewSeq int64
}

// catchUp folds the events logged since the last call, read through db.
// The caller holds c.mu.
func (s *Store) catchUp(ctx context.Context, db querier) error {
	c := &s.cache
	if c.reg == nil {
		c.reg, c.seq, c.versions = pvczar.NewRegistry(s.config), 0, map[string]int{}
	}
	events, err := s.loadEvents(ctx, db, "seq > ?", 0, c.seq)
	if err != nil {
		return err
	}
	for _, e := range events {
		c.reg.Apply(e)
		c.seq = e.Seq
		c.versions[e.Stream] = max(c.versions[e.Stream], e.Version)
	}
	return nil
}

// current returns a private copy of the users and the given protocols at the
// latest logged event, with the latest version of their streams and of the
// mail stream, read inside the write transaction tx.
func (s *Store) current(ctx context.Context, tx querier, protocols ...string) (*pvczar.Registry, map[string]int, error) {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if err := s.catchUp(ctx, tx); err != nil {
		return nil, nil, err
	}
	versions := map[string]int{pvczar.UsersStream: s.cache.versions[pvczar.UsersStream], pvczar.MailStream: s.cache.versions[pvczar.MailStream]}
	for _, id := range protocols {
		st := pvczar.ProtocolStream(id)
		versions[st] = s.cache.versions[st]
	}
	return s.cache.reg.CloneFor(protocols...), versions, nil
}

// Registry implements pvczar.Service. The registry returned may be shared
// with other callers asking for the same instant: do not change it.
func (s *Store) Registry(ctx context.Context, now time.Time) (*pvczar.Registry, error) {
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := s.catchUp(ctx, s.read); err != nil {
		return nil, err
	}
	if c.view != nil && c.viewSeq == c.seq && c.viewAt.Equal(now) {
		return c.view, nil
	}
	view := c.reg.Evaluate(now, c.view)
	c.view, c.viewAt, c.viewSeq = view, now, c.seq
	return view, nil
}
