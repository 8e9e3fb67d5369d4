package http

import (
	"fmt"
	"testing"
	"time"
)

// TestLimiterEvictsOldestNotEveryone: junk keys beyond the limiter's
// capacity push out the least recently used ones, never all: a user being
// limited, whose key each attempt touches, stays limited while many times
// the capacity in junk sign-ins pass between attempts (a limiter that
// forgot everyone at 100,000 keys let junk reset it).
func TestLimiterEvictsOldestNotEveryone(t *testing.T) {
	const capacity = 1000
	l := newLimiter(2, time.Hour, capacity)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for range 2 {
		if ok, _ := l.allow(now, "addr:203.0.113.9", "user:czar"); !ok {
			t.Fatal("the burst was refused")
		}
	}
	for round := range 5 {
		for i := range capacity / 4 { // 2 keys each: half the capacity a round
			l.allow(now, fmt.Sprintf("addr:junk-%d-%d", round, i), fmt.Sprintf("user:junk-%d-%d", round, i))
		}
		if ok, wait := l.allow(now, "addr:198.51.100.7", "user:czar"); ok || wait <= 0 {
			t.Fatalf("round %d: the czar's key was forgotten among junk: allowed", round)
		}
		if n := len(l.buckets); n > capacity || l.order.Len() != n {
			t.Fatalf("round %d: the limiter holds %d keys (list %d), capacity %d", round, n, l.order.Len(), capacity)
		}
	}
	if _, ok := l.buckets["addr:junk-0-0"]; ok {
		t.Error("the oldest junk key is still held")
	}
	// An hour later the user has an attempt again.
	if ok, _ := l.allow(now.Add(time.Hour), "addr:198.51.100.7", "user:czar"); !ok {
		t.Error("the czar's attempt after an hour was refused")
	}
}
