package pvczar_test

import (
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// TestUnappliedOnlyFromMail: a mail.unapplied event comes from mail ingest
// only, with the mail as its source; people cannot write one. (The mail
// package tests the events ingest makes.)
func TestUnappliedOnlyFromMail(t *testing.T) {
	s := newScenario(t, def)
	s.fails(pvczar.EINVALID, at(1, 0), "carol", pvczar.EventMailUnapplied, pvczar.EventData{MessageID: "x@example.org", Line: "Objection: x", Reason: "made up"})
}

// TestDigestAt: the weekly digest is due on Mondays at 08:00 UTC.
func TestDigestAt(t *testing.T) {
	monday := time.Date(2026, 3, 16, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct{ now, want time.Time }{
		{monday, monday},
		{monday.Add(-time.Second), monday.Add(-7 * pvczar.Day)},
		{monday.Add(6*pvczar.Day + 23*time.Hour), monday},
		{monday.Add(7 * pvczar.Day), monday.Add(7 * pvczar.Day)},
		{time.Date(2026, 3, 16, 10, 0, 0, 0, pvczar.AoE), monday}, // 22:00 UTC on the 16th
	} {
		if got := pvczar.DigestAt(c.now); !got.Equal(c.want) {
			t.Errorf("DigestAt(%s) = %s, want %s", pvczar.FormatUTC(c.now), pvczar.FormatUTC(got), pvczar.FormatUTC(c.want))
		}
	}
}
