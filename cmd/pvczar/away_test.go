package main

import (
	"strings"
	"testing"
)

// TestAway: `pvczar away` declares an absence before it starts, refuses
// what the rules refuse with their exit codes and reasons, lists the
// absences (as JSON too), and the lapse of the absent objector's objection
// comes later by the days away, as tick, status and the digest show.
func TestAway(t *testing.T) {
	db := newDB(t) // george objects to pvfoo-1 (ring) on 2026-03-04
	at := func(now string, args ...string) []string { return append(args, "--db", db, "--now", now) }
	mustRun(t, at("2026-03-05T10:00:00Z", "answer", "pvfoo-1", "ring", "--text", "see v2", "--as", "alice")...) // the ball is george's
	// Without an absence, ring would lapse on 2026-03-12 at 10:00 UTC.
	mustRun(t, at("2026-03-05T11:00:00Z", "away", "--from", "2026-03-07", "--until", "2026-03-08", "--reason", "a conference", "--as", "george")...)
	for _, tt := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"away", "--from", "2026-3-20", "--until", "2026-03-21", "--as", "bob"}, exitUsage, "from: want a date such as 2026-12-20"},
		{[]string{"away", "--from", "2026-03-21", "--until", "2026-03-20", "--as", "bob"}, exitUsage, "until: the last day 2026-03-20 is before the first day 2026-03-21"},
		{[]string{"away", "--from", "2026-03-05", "--until", "2026-03-06", "--as", "bob"}, exitConflict, "declared before it starts"},
		{[]string{"away", "--from", "2026-03-08", "--until", "2026-03-09", "--as", "george"}, exitConflict, "overlaps george's absence from 2026-03-07 to 2026-03-08"},
		{[]string{"away", "--from", "2026-05-01", "--until", "2026-05-29", "--as", "george"}, exitConflict, "george has declared 2 days for 2026 and has 28 left"},
		{[]string{"away", "--from", "2026-05-01", "--until", "2026-05-02", "--as", "nobody"}, exitForbidden, "unknown user"},
		{[]string{"away", "--cancel", "--from", "2026-05-01", "--as", "george"}, exitNotFound, "no absence starting on 2026-05-01"},
		{[]string{"away", "--all", "--from", "2026-05-01"}, exitUsage, "--all lists absences"},
	} {
		code, _, stderr := run(t, at("2026-03-05T12:00:00Z", tt.args...)...)
		if code != tt.code || !strings.Contains(stderr, tt.says) {
			t.Errorf("pvczar %s: exit %d, want %d saying %q: %s", strings.Join(tt.args, " "), code, tt.code, tt.says, stderr)
		}
	}
	if out := mustRun(t, at("2026-03-08T00:00:00Z", "away", "--as", "george")...); !strings.Contains(out, "george  2026-03-07 00:00:00 AoE  2026-03-08 23:59:59 AoE  2     away now  a conference") ||
		!strings.Contains(out, "george: 2 of 30 days of absence declared for 2026, 28 left") {
		t.Errorf("pvczar away:\n%s", out)
	}
	if out := mustRun(t, at("2026-03-08T00:00:00Z", "away", "--json")...); !strings.Contains(out, `"from": "2026-03-07T12:00:00Z"`) || !strings.Contains(out, `"until": "2026-03-09T11:59:59Z"`) {
		t.Errorf("pvczar away --json:\n%s", out)
	}
	if out := mustRun(t, at("2026-03-10T00:00:00Z", "away", "--json")...); strings.TrimSpace(out) != "[]" {
		t.Errorf("pvczar away --json after the absence: %s", out)
	}
	if out := mustRun(t, at("2026-03-10T00:00:00Z", "away", "--all")...); !strings.Contains(out, "past") {
		t.Errorf("pvczar away --all:\n%s", out)
	}
	if out := mustRun(t, at("2026-03-08T00:00:00Z", "status")...); !strings.Contains(out, "Away (the lapse clock of their objections is paused while they are away):\n  george:  2026-03-07 00:00:00 AoE to 2026-03-08 23:59:59 AoE (2026-03-09 11:59:59 UTC) (2 days)") {
		t.Errorf("pvczar status:\n%s", out)
	}
	if out := mustRun(t, at("2026-03-08T00:00:00Z", "digest")...); !strings.Contains(out, "george is away until 2026-03-08 23:59:59 AoE") {
		t.Errorf("pvczar digest:\n%s", out)
	}
	// Two days away: ring lapses on 2026-03-14 at 10:00 UTC, not the 12th.
	if out := mustRun(t, at("2026-03-14T09:59:59Z", "tick", "--dry-run")...); strings.Contains(out, "lapsed") {
		t.Errorf("ring lapses before 2026-03-14 10:00 UTC:\n%s", out)
	}
	mustRun(t, at("2026-03-14T10:00:00Z", "tick")...)
	if out := mustRun(t, at("2026-03-14T10:00:00Z", "log", "pvfoo-1")...); !strings.Contains(out, "2026-03-14 10:00:00 UTC  clock   clock   objection lapsed: ring on pvfoo-1") {
		t.Errorf("pvczar log:\n%s", out)
	}
	mustRun(t, "audit", "verify", "--db", db)
}
