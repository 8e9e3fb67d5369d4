package http

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// The absences on the web: the page GET /away with the form to declare
// one's own (posted to /ui/absences like every form), what the Czar's queue
// says of who is away, and what a proposal page says of an objector who is.

// awayRow is one absence as the page lists it.
type awayRow struct {
	pvczar.Absence
	State string // "away now", "to come" or "past"
	// ShowReason: the reason is for the Czar and the person only.
	ShowReason bool
	// Cancel: the viewer may cancel it (theirs, not yet started).
	Cancel bool
}

// awayView is the page's data.
type awayView struct {
	Rows   []awayRow
	Czar   bool // the Czar sees past absences too
	CanAct bool // the viewer may declare an absence
	// The viewer's days declared and left for Year (this year, AoE).
	Year, Used, Left, Max int
	// Earliest is the first day the viewer may still declare (tomorrow, AoE, or later).
	Earliest string
}

func (s *Server) pageAway(w http.ResponseWriter, r *http.Request) {
	reg, now, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.newView(r, reg, "Who is away", "away", nil)
	d := awayView{Max: pvczar.AwayDaysPerYear, Year: now.In(pvczar.AoE).Year(), Earliest: now.In(pvczar.AoE).AddDate(0, 0, 1).Format("2006-01-02")}
	viewer := ""
	if v.User != nil {
		viewer = v.User.Name
		d.Czar = v.User.Role == pvczar.RoleCzar
		d.CanAct = pvczar.Permit(v.User, nil, pvczar.EventUserAway) == nil
		d.Used = reg.AwayDaysUsed(viewer, d.Year)
		d.Left = d.Max - d.Used
	}
	for _, a := range reg.Absences(now, d.Czar) {
		d.Rows = append(d.Rows, awayRow{Absence: a, State: absenceState(a, now), ShowReason: d.Czar || a.User == viewer,
			Cancel: a.User == viewer && d.CanAct && now.Before(a.From)})
	}
	v.Data = d
	s.pages.render(w, http.StatusOK, "away.html", v)
}

func absenceState(a pvczar.Absence, now time.Time) string {
	switch {
	case a.Covers(now):
		return "away now"
	case now.Before(a.From):
		return "to come"
	}
	return "past"
}

// awayItems lists, for the Czar's queue, the absences under way or to
// come, with the objections whose ball the absent person holds.
func awayItems(reg *pvczar.Registry, now time.Time) []queueItem {
	var items []queueItem
	for _, a := range reg.Absences(now, false) {
		it := queueItem{ID: a.User, Link: "/away",
			What: fmt.Sprintf("away from %s to %s (%d days)", pvczar.FormatAoEWall(a.From), pvczar.FormatAoEWall(a.Until), a.Days()),
			Age:  absenceState(a, now) + ", declared " + pvczar.FormatUTC(a.Declared)}
		if !a.Covers(now) {
			it.Age = "starts " + until(now, a.From) + ", declared " + pvczar.FormatUTC(a.Declared)
		}
		var held []string
		for _, p := range reg.SortedProtocols() {
			if pr := p.OpenProposal(); pr != nil {
				for _, o := range pr.Objections {
					if o.Status == pvczar.ObjectionOpen && o.Ball == pvczar.BallObjector && o.Author == a.User {
						held = append(held, fmt.Sprintf("%s/%s (lapses %s)", pr.ID, o.Name, pvczar.FormatUTC(reg.LapsesAt(o))))
					}
				}
			}
		}
		if len(held) > 0 {
			it.Ball = "with them on " + strings.Join(held, ", ")
		}
		items = append(items, it)
	}
	return items
}

// pausedLapse is what a proposal page says of an open objection whose
// author holds the ball and is away.
type pausedLapse struct {
	Author        string
	Until, Lapses time.Time
}

// pausedLapses returns, by objection name, the open objections of pr whose
// author holds the ball and is away at now.
func pausedLapses(reg *pvczar.Registry, pr *pvczar.Proposal, now time.Time) map[string]*pausedLapse {
	out := map[string]*pausedLapse{}
	for _, o := range pr.Objections {
		if o.Status != pvczar.ObjectionOpen || o.Ball != pvczar.BallObjector {
			continue
		}
		if a := reg.AwayAt(o.Author, now); a != nil {
			out[o.Name] = &pausedLapse{Author: o.Author, Until: a.Until, Lapses: reg.LapsesAt(o)}
		}
	}
	return out
}
