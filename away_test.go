package pvczar_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// aoeDay is the first instant (00:00:00 AoE, 12:00 UTC) of a date.
func aoeDay(date string) time.Time {
	d, err := time.Parse("2006-01-02", date)
	if err != nil {
		panic(err)
	}
	return d.Add(12 * time.Hour)
}

func away(from, until string) pvczar.EventData {
	return pvczar.EventData{From: from, Until: until, Reason: "holidays"}
}

// ballWithBob opens pvfoo-1 and has bob object at t0+1d; alice answers at
// answered, which gives bob the ball.
func ballWithBob(s *scenario, answered time.Time) {
	s.t.Helper()
	s.openProposal()
	s.object(at(1, 0), "bob", "ring")
	s.must(answered, "alice", pvczar.EventObjectionAnswered, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring", Text: "see v2"})
}

// lapseAt checks that ring is open a second before want and lapsed at want,
// on a replay of the log and in the scenario's own registry, with the tick
// writing the lapse at want.
func lapseAt(t *testing.T, s *scenario, want time.Time) {
	t.Helper()
	if got := s.proposal("pvfoo-1", want.Add(-time.Second)).Objection("ring").Status; got != pvczar.ObjectionOpen {
		t.Errorf("a second before %s: %s", pvczar.FormatUTC(want), got)
	}
	if got := s.proposal("pvfoo-1", want).Objection("ring").Status; got != pvczar.ObjectionLapsed {
		t.Errorf("at %s: %s", pvczar.FormatUTC(want), got)
	}
	_, pr, _ := s.reg.Proposal("pvfoo-1")
	if got := s.reg.LapsesAt(pr.Objection("ring")); !got.Equal(want) {
		t.Errorf("LapsesAt = %s, want %s", pvczar.FormatUTC(got), pvczar.FormatUTC(want))
	}
}

// The ball reaches bob at 2026-03-05 10:00 UTC; without an absence his
// objection lapses 7 days later, 2026-03-12 10:00 UTC.
var (
	answered  = at(3, 1)
	lapseNone = at(10, 1)
)

// TestAbsencePausesTheLapse: the lapse instant moves later by the part of
// each absence of the objector that runs while they hold the ball.
func TestAbsencePausesTheLapse(t *testing.T) {
	for _, tt := range []struct {
		name     string
		absences [][2]string
		want     time.Time
	}{
		{"no absence", nil, lapseNone},
		// 2026-03-07 12:00 UTC to 2026-03-09 12:00 UTC: two whole days.
		{"an absence while he holds the ball", [][2]string{{"2026-03-07", "2026-03-08"}}, lapseNone.Add(2 * pvczar.Day)},
		// The ball came at 10:00 UTC on the 5th, during the AoE day 2026-03-04
		// (which ends 12:00 UTC on the 5th): only the last 2 hours count.
		{"under way when the ball came", [][2]string{{"2026-03-03", "2026-03-04"}}, lapseNone.Add(2 * time.Hour)},
		{"over before the ball came", [][2]string{{"2026-03-02", "2026-03-03"}}, lapseNone},
		// Starts 2026-03-12 12:00 UTC, after the lapse at 10:00: too late.
		{"starts after the lapse", [][2]string{{"2026-03-12", "2026-03-20"}}, lapseNone},
		// Starts 2026-03-11 12:00 UTC, 22 hours before the lapse: the whole
		// absence (3 days) counts, the lapse comes after it.
		{"starts before the lapse and runs past it", [][2]string{{"2026-03-11", "2026-03-13"}}, lapseNone.Add(3 * pvczar.Day)},
		// The first (2 days) moves the lapse to 2026-03-14 10:00 UTC, which
		// brings the second (from 2026-03-13 12:00 UTC, 1 day) into reach.
		{"several, the first bringing the second into reach", [][2]string{{"2026-03-07", "2026-03-08"}, {"2026-03-13", "2026-03-13"}}, lapseNone.Add(3 * pvczar.Day)},
		{"several, the second out of reach", [][2]string{{"2026-03-07", "2026-03-08"}, {"2026-03-15", "2026-03-16"}}, lapseNone.Add(2 * pvczar.Day)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newScenario(t, def)
			for _, a := range tt.absences {
				s.must(at(0, 0), "bob", pvczar.EventUserAway, away(a[0], a[1]))
			}
			ballWithBob(s, answered)
			lapseAt(t, s, tt.want)
			var lapsed []time.Time
			for _, e := range s.tick(tt.want.Add(pvczar.Day)) {
				if e.Type == pvczar.EventObjectionLapsed {
					lapsed = append(lapsed, e.At)
				}
			}
			if len(lapsed) != 1 || !lapsed[0].Equal(tt.want) {
				t.Errorf("the tick wrote lapses at %v", lapsed)
			}
			if diff := pvczar.Replay(def, s.log).Anomalies; len(diff) > 0 {
				t.Errorf("the log does not replay: %v", diff)
			}
		})
	}
}

// TestAbsenceDeclaredAfterTheBallCame: an absence declared while the
// objector holds the ball (before it starts) pauses the lapse as well; one
// declared after the lapse instant comes too late.
func TestAbsenceDeclaredAfterTheBallCame(t *testing.T) {
	s := newScenario(t, def)
	ballWithBob(s, answered)
	s.must(at(5, 0), "bob", pvczar.EventUserAway, away("2026-03-09", "2026-03-10"))
	lapseAt(t, s, lapseNone.Add(2*pvczar.Day))

	s2 := newScenario(t, def)
	ballWithBob(s2, answered)
	s2.tick(lapseNone)
	s2.must(lapseNone, "bob", pvczar.EventUserAway, away("2026-03-13", "2026-03-14"))
	if got := s2.proposal("pvfoo-1", lapseNone.Add(5*pvczar.Day)).Objection("ring").Status; got != pvczar.ObjectionLapsed {
		t.Errorf("an absence after the lapse revived the objection: %s", got)
	}
}

// TestAbsencePausesOnlyTheObjectorsLapse: the ball with the proposer, the
// window and a hold run on while their person is away.
func TestAbsencePausesOnlyTheObjectorsLapse(t *testing.T) {
	s := newScenario(t, def)
	s.must(at(0, 0), "alice", pvczar.EventUserAway, away("2026-03-03", "2026-03-20"))
	s.must(at(0, 0), "bob", pvczar.EventUserAway, away("2026-03-03", "2026-03-20"))
	s.openProposal()
	s.object(at(1, 0), "bob", "ring")
	pr := s.proposal("pvfoo-1", windowCloses)
	if !pr.WindowClosed {
		t.Error("the window paused for an absence")
	}
	if o := pr.Objection("ring"); o.Status != pvczar.ObjectionOpen || o.Ball != pvczar.BallProposer {
		t.Errorf("ring: %s, ball with the %s", o.Status, o.Ball)
	}
}

// TestAwayRules: an absence is one's own, declared before it starts, ends
// no earlier than it starts, overlaps none of one's others, and keeps the
// days of a calendar year (of its first day) at 30 or fewer; the refusals
// say which field and how many days are used and left.
func TestAwayRules(t *testing.T) {
	s := newScenario(t, def)
	now := at(0, 0) // 2026-03-02 09:00 UTC: 2026-03-01 21:00 AoE
	refused := func(code, actor string, d pvczar.EventData, words ...string) {
		t.Helper()
		_, err := s.do(now, actor, pvczar.EventUserAway, d)
		if pvczar.ErrorCode(err) != code {
			t.Fatalf("%+v: got %v, want %s", d, err, code)
		}
		for _, w := range words {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %q does not say %q", d, err, w)
			}
		}
	}
	refused(pvczar.EINVALID, "bob", away("2026-3-10", "2026-03-12"), "from:", "2026-3-10")
	refused(pvczar.EINVALID, "bob", away("2026-03-10", ""), "until:")
	refused(pvczar.EINVALID, "bob", away("2026-03-10", "2026-03-09"), "until:", "before the first day")
	refused(pvczar.EUNAUTHORIZED, "", away("2026-03-10", "2026-03-12"))
	refused(pvczar.EFORBIDDEN, "rita", away("2026-03-10", "2026-03-12"))
	refused(pvczar.EFORBIDDEN, "george", pvczar.EventData{User: "bob", From: "2026-03-10", Until: "2026-03-12"}, "only their own")
	// The AoE day 2026-03-01 started at 2026-03-01 12:00 UTC, before now.
	refused(pvczar.ECONFLICT, "bob", away("2026-03-01", "2026-03-05"), "before it starts")
	// 2026-03-02 starts at 12:00 UTC, three hours after now: still in time.
	s.must(now, "bob", pvczar.EventUserAway, away("2026-03-02", "2026-03-02"))
	s.must(now, "bob", pvczar.EventUserAway, away("2026-12-20", "2027-01-03")) // 15 days, all of 2026
	refused(pvczar.ECONFLICT, "bob", away("2027-01-03", "2027-01-05"), "overlaps", "2026-12-20 to 2027-01-03")
	refused(pvczar.ECONFLICT, "bob", away("2026-12-01", "2026-12-20"), "overlaps")
	s.must(now, "bob", pvczar.EventUserAway, away("2026-12-06", "2026-12-19")) // touches it: 14 days, 30 in all
	refused(pvczar.ECONFLICT, "bob", away("2026-07-01", "2026-07-01"), "bob has declared 30 days for 2026 and has 0 left")
	s.must(now, "bob", pvczar.EventUserAway, away("2027-07-01", "2027-07-30")) // 30 days of 2027
	refused(pvczar.ECONFLICT, "bob", away("2027-08-01", "2027-08-01"), "2027-08-01 to 2027-08-01 is 1 day(s)", "31 days of absence in 2027", "30 days for 2027 and has 0 left")
	s.must(now, "carol", pvczar.EventUserAway, away("2026-12-20", "2027-01-03")) // someone else's days are their own
	refused(pvczar.ECONFLICT, "carol", away("2026-05-01", "2026-05-16"), "16 day(s)", "has declared 15 days for 2026 and has 15 left")

	reg := pvczar.Replay(def, s.log)
	if got := reg.AwayDaysUsed("bob", 2026); got != 30 {
		t.Errorf("bob has used %d days of 2026", got)
	}
	bob := reg.Users["bob"]
	var days []string
	for _, a := range bob.Away {
		days = append(days, a.FirstDay()+".."+a.LastDay())
	}
	if got := strings.Join(days, " "); got != "2026-03-02..2026-03-02 2026-12-06..2026-12-19 2026-12-20..2027-01-03 2027-07-01..2027-07-30" {
		t.Errorf("bob's absences, in order: %s", got)
	}
	if a := bob.Away[2]; a.From.Format(time.RFC3339) != "2026-12-20T12:00:00Z" || a.Until.Format(time.RFC3339) != "2027-01-04T11:59:59Z" || a.Days() != 15 {
		t.Errorf("2026-12-20..2027-01-03 is %s to %s, %d days", a.From, a.Until, a.Days())
	}
	// The clock does not run backwards: a declaration dated before the
	// latest record is refused.
	s.must(at(2, 0), "george", pvczar.EventUserEdited, pvczar.EventData{User: "dave", Display: "Dave"})
	_, err := s.do(at(1, 0), "dave", pvczar.EventUserAway, away("2026-04-01", "2026-04-02"))
	if pvczar.ErrorCode(err) != pvczar.ECONFLICT || !strings.Contains(err.Error(), "does not run backwards") {
		t.Errorf("a back-dated declaration: %v", err)
	}
}

// TestAwayCancelled: an absence may be cancelled before it starts, which
// frees its days and unpauses the lapse; not once it has started.
func TestAwayCancelled(t *testing.T) {
	s := newScenario(t, def)
	s.must(at(0, 0), "bob", pvczar.EventUserAway, away("2026-03-07", "2026-03-08"))
	s.must(at(0, 0), "bob", pvczar.EventUserAway, away("2026-03-20", "2026-04-16")) // 28 days
	ballWithBob(s, answered)
	cancel := pvczar.EventData{From: "2026-03-07"}
	s.fails(pvczar.EFORBIDDEN, at(3, 2), "george", pvczar.EventUserAwayCancelled, pvczar.EventData{User: "bob", From: "2026-03-07"})
	s.fails(pvczar.ENOTFOUND, at(3, 2), "bob", pvczar.EventUserAwayCancelled, pvczar.EventData{From: "2026-03-06"})
	s.fails(pvczar.EINVALID, at(3, 2), "bob", pvczar.EventUserAwayCancelled, pvczar.EventData{From: "2026-03-07", Until: "2026-03-08"})
	s.fails(pvczar.ECONFLICT, at(3, 2), "bob", pvczar.EventUserAway, away("2026-05-01", "2026-05-03")) // 31 days
	// Evaluated beyond the lapse with the absence, before the cancellation:
	// the store lends such an evaluation to the next; it must not here.
	view := s.reg.Evaluate(lapseNone.Add(time.Hour), nil)
	s.must(at(3, 2), "bob", pvczar.EventUserAwayCancelled, cancel)
	lapseAt(t, s, lapseNone)
	if o := s.reg.Evaluate(lapseNone.Add(time.Hour), view).Protocols["pvfoo"].OpenProposal().Objection("ring"); o.Status != pvczar.ObjectionLapsed {
		t.Errorf("an evaluation lent from before the cancellation: %s", o.Status)
	}
	s.must(at(3, 3), "bob", pvczar.EventUserAway, away("2026-05-01", "2026-05-02")) // 30 days again
	s.fails(pvczar.ECONFLICT, aoeDay("2026-03-20"), "bob", pvczar.EventUserAwayCancelled, pvczar.EventData{From: "2026-03-20"})
	if got := pvczar.Replay(def, s.log).AwayDaysUsed("bob", 2026); got != 30 {
		t.Errorf("after the cancellation bob has used %d days", got)
	}
}

// TestAwayShown: the status lists the absences under way or to come, the
// digest says whose lapse clock is paused, and the user's JSON carries
// them; Describe names the days.
func TestAwayShown(t *testing.T) {
	s := newScenario(t, def)
	s.must(at(0, 0), "bob", pvczar.EventUserAway, away("2026-03-02", "2026-03-02"))
	e := s.must(at(0, 0), "bob", pvczar.EventUserAway, away("2026-03-07", "2026-03-08"))
	if got := e.Describe(); got != "bob will be away from 2026-03-07 to 2026-03-08 (AoE days) (holidays)" {
		t.Errorf("Describe: %s", got)
	}
	ballWithBob(s, answered)
	reg := pvczar.Replay(def, s.log)
	during := aoeDay("2026-03-08")
	reg.AdvanceTo(during)
	st := reg.Status(during)
	if len(st.Away) != 1 || st.Away[0].User != "bob" || st.Away[0].FirstDay() != "2026-03-07" {
		t.Errorf("status lists %+v", st.Away)
	}
	if d := reg.Digest(during); !strings.Contains(d, "bob is away until 2026-03-08 23:59:59 AoE (2026-03-09 11:59:59 UTC): the lapse clock is paused") {
		t.Errorf("the digest does not say bob is away:\n%s", d)
	}
	if d := reg.Digest(aoeDay("2026-03-09")); strings.Contains(d, "is away") {
		t.Errorf("the digest says bob is away after his absence:\n%s", d)
	}
	raw, err := json.Marshal(reg.Users["bob"])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"away":[{"user":"bob","from":"2026-03-02T12:00:00Z","until":"2026-03-03T11:59:59Z"`) {
		t.Errorf("bob's JSON: %s", raw)
	}
	if got := len(reg.Absences(during, true)); got != 2 {
		t.Errorf("all absences: %d", got)
	}
}
