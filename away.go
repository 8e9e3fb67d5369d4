package pvczar

import (
	"fmt"
	"slices"
	"time"
)

// Absences: a person may declare, before it starts, that they will be away
// for some whole days. While they are away the lapse clock of their
// objections stops (see Registry.LapsesAt); nothing else pauses: windows,
// holds, stalls and decisions run on.

// AwayDaysPerYear is the most days of absence one person may declare for
// one calendar year (the year of each absence's first day).
const AwayDaysPerYear = 30

// Absence is a span of whole days, Anywhere on Earth, that a person
// declared they would be away.
type Absence struct {
	User string `json:"user"`
	// From is the first instant of the first day away (00:00:00 AoE) and
	// Until the last second of the last day away (23:59:59 AoE), as a
	// deadline is: both UTC instants.
	From     time.Time `json:"from"`
	Until    time.Time `json:"until"`
	Declared time.Time `json:"declared"`
	Reason   string    `json:"reason,omitempty"`
}

// end is the first instant after the absence.
func (a Absence) end() time.Time { return a.Until.Add(time.Second) }

// Days is the absence's length in whole days.
func (a Absence) Days() int { return int(a.end().Sub(a.From) / Day) }

// FirstDay and LastDay are the absence's days as dates, e.g. "2026-12-20",
// in the form `pvczar away` takes them.
func (a Absence) FirstDay() string { return a.From.In(AoE).Format(dateLayout) }

// LastDay: see FirstDay.
func (a Absence) LastDay() string { return a.Until.In(AoE).Format(dateLayout) }

// Covers reports whether the person is away at t.
func (a Absence) Covers(t time.Time) bool { return !t.Before(a.From) && t.Before(a.end()) }

const dateLayout = "2006-01-02"

// parseDay reads the date field (from or until) of an away command as a
// whole AoE day: its first instant, and the first instant of the next day.
func parseDay(field, s string) (start, next time.Time, err error) {
	d, perr := time.Parse(dateLayout, s)
	if perr != nil {
		return start, next, Errorf(EINVALID, "%s: want a date such as 2026-12-20, got %q", field, s)
	}
	start = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, AoE).UTC()
	return start, start.Add(Day), CheckTimeRange(field, start)
}

// LapsesAt is the instant an open objection whose ball is with its author
// lapses: when LapseDays of the author's own time have run since the ball
// reached them (BallSince), where the time they are away does not run. Each
// absence of the author that starts before the instant so far found, and
// ends after the ball arrived, moves that instant later by the part of the
// absence after BallSince: an absence wholly before the ball arrived counts
// for nothing, one under way when it arrived counts from then on, and one
// that starts at or after the lapse instant comes too late to count. The
// absences are taken in time order (one person's never overlap), so one
// that the extension brings into reach counts as well. The objection lapses
// at the instant returned, not a second later, as without absences.
func (r *Registry) LapsesAt(o *Objection) time.Time {
	at := o.BallSince.Add(days(r.config.LapseDays))
	u := r.Users[o.Author]
	if u == nil {
		return at
	}
	for _, a := range u.Away {
		start := a.From
		if start.Before(o.BallSince) {
			start = o.BallSince
		}
		if !start.Before(at) {
			break
		}
		if a.end().After(start) {
			at = at.Add(a.end().Sub(start))
		}
	}
	return at
}

// AwayAt returns the absence of user that covers t, or nil.
func (r *Registry) AwayAt(user string, t time.Time) *Absence {
	if u := r.Users[user]; u != nil {
		for i := range u.Away {
			if u.Away[i].Covers(t) {
				return &u.Away[i]
			}
		}
	}
	return nil
}

// Absences returns everyone's absences that have not ended by now (with
// past ones too when all), ordered by their first day and by user.
func (r *Registry) Absences(now time.Time, all bool) []Absence {
	out := []Absence{}
	for _, u := range r.SortedUsers() {
		for _, a := range u.Away {
			if all || a.end().After(now) {
				out = append(out, a)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Absence) int { return a.From.Compare(b.From) })
	return out
}

// AwayDaysUsed is how many days of absence user has declared for year.
func (r *Registry) AwayDaysUsed(user string, year int) int {
	n := 0
	if u := r.Users[user]; u != nil {
		for _, a := range u.Away {
			if a.From.In(AoE).Year() == year {
				n += a.Days()
			}
		}
	}
	return n
}

// decideAway checks a declaration of absence (From and Until, the first
// and last days, as dates) or its cancellation (From alone), always the
// actor's own: the user is the actor. An absence is declared before it
// starts, ends no earlier than it starts, overlaps none of the person's
// other absences, and brings the days declared for the calendar year of
// its first day to at most AwayDaysPerYear. A cancellation, too, comes
// before the absence starts: once under way, it has paused clocks.
//
// Like a command on a protocol, it may not be dated before the latest
// record of the log: an absence changes when objections lapse, and must
// never reach back past what the log already holds.
func (r *Registry) decideAway(cmd *Event) error {
	d := &cmd.Data
	actor, err := r.actor(cmd.Actor)
	if err != nil {
		return err
	}
	if d.User != "" && d.User != actor.Name {
		return Errorf(EFORBIDDEN, "%s may declare only their own absences, not %s's", actor.Name, d.User)
	}
	d.User = actor.Name
	if cmd.At.Before(r.latest) {
		return Errorf(ECONFLICT, "%s is before the latest record (%s): the clock does not run backwards", FormatUTC(cmd.At), FormatUTC(r.latest))
	}
	start, _, err := parseDay("from", d.From)
	if err != nil {
		return err
	}
	if cmd.Type == EventUserAwayCancelled {
		if d.Until != "" {
			return Errorf(EINVALID, "until: a cancellation names its absence by its first day (from) alone")
		}
		i := slices.IndexFunc(actor.Away, func(a Absence) bool { return a.From.Equal(start) })
		if i < 0 {
			return Errorf(ENOTFOUND, "from: %s has declared no absence starting on %s", actor.Name, d.From)
		}
		if !cmd.At.Before(start) {
			return Errorf(ECONFLICT, "from: the absence from %s started at %s; it can be cancelled only before it starts", d.From, FormatAoE(start))
		}
		return nil
	}
	last, next, err := parseDay("until", d.Until)
	if err != nil {
		return err
	}
	if last.Before(start) {
		return Errorf(EINVALID, "until: the last day %s is before the first day %s", d.Until, d.From)
	}
	if !cmd.At.Before(start) {
		return Errorf(ECONFLICT, "from: an absence is declared before it starts, and %s started at %s, before %s", d.From, FormatAoE(start), FormatUTC(cmd.At))
	}
	a := Absence{From: start, Until: next.Add(-time.Second)}
	for _, o := range actor.Away {
		if o.From.Before(a.end()) && a.From.Before(o.end()) {
			return Errorf(ECONFLICT, "from, until: %s to %s overlaps %s's absence from %s to %s", d.From, d.Until, actor.Name, o.FirstDay(), o.LastDay())
		}
	}
	year := start.In(AoE).Year()
	used := r.AwayDaysUsed(actor.Name, year)
	if used+a.Days() > AwayDaysPerYear {
		return Errorf(ECONFLICT, "until: %s to %s is %d day(s), which would make %d days of absence in %d, more than the %d a year: %s has declared %d days for %d and has %d left",
			d.From, d.Until, a.Days(), used+a.Days(), year, AwayDaysPerYear, actor.Name, used, year, AwayDaysPerYear-used)
	}
	return nil
}

// applyAway folds a declaration or a cancellation of an absence. A user's
// absences are replaced, never changed in place: clones share them.
func (r *Registry) applyAway(e Event) error {
	d := e.Data
	u := r.Users[d.User]
	if u == nil {
		return fmt.Errorf("unknown user %q", d.User)
	}
	start, _, err := parseDay("from", d.From)
	if err != nil {
		return err
	}
	r.awayChanges++
	if e.Type == EventUserAwayCancelled {
		n := len(u.Away)
		u.Away = slices.DeleteFunc(slices.Clone(u.Away), func(a Absence) bool { return a.From.Equal(start) })
		if len(u.Away) == n {
			return fmt.Errorf("%s has no absence from %s", d.User, d.From)
		}
		return nil
	}
	_, next, err := parseDay("until", d.Until)
	if err != nil {
		return err
	}
	away := append(slices.Clone(u.Away), Absence{User: u.Name, From: start, Until: next.Add(-time.Second), Declared: e.At, Reason: d.Reason})
	slices.SortFunc(away, func(a, b Absence) int { return a.From.Compare(b.From) })
	u.Away = away
	return nil
}
