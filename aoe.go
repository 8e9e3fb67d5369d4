package pvczar

import (
	"fmt"
	"strings"
	"time"
)

// AoE is Anywhere on Earth (UTC-12), the zone of every deadline.
var AoE = time.FixedZone("AoE", -12*60*60)

// Day is 24 hours; the lifecycle counts whole days.
const Day = 24 * time.Hour

// EndOfDayAoE returns the last second (23:59:59) of the AoE calendar day that
// lies days after the AoE day containing t, as a UTC instant.
func EndOfDayAoE(t time.Time, days int) time.Time {
	a := t.In(AoE)
	end := time.Date(a.Year(), a.Month(), a.Day()+days, 23, 59, 59, 0, AoE)
	return end.UTC()
}

// FormatAoE shows a deadline as its AoE wall time with its UTC instant,
// e.g. "2026-01-15 23:59:59 AoE (2026-01-16 11:59:59 UTC)": the one way
// pvczar shows a deadline, on pages, in mail, in the CLI and in the log.
func FormatAoE(t time.Time) string {
	return FormatAoEWall(t) + " (" + FormatUTC(t) + ")"
}

// FormatAoEWall is a deadline's AoE wall time alone, e.g.
// "2026-01-15 23:59:59 AoE", for a page that shows the UTC instant beside it.
func FormatAoEWall(t time.Time) string {
	return t.In(AoE).Format("2006-01-02 15:04:05") + " AoE"
}

// FormatUTC shows an instant with its zone, e.g. "2026-01-05 10:00:00 UTC".
func FormatUTC(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// ParseTime reads a time given by a user: RFC 3339 ("2026-01-05T10:00:00Z"),
// a date and time with an explicit zone, or a date alone ("2026-01-05"),
// which means its start in UTC. The result is truncated to the second.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	layouts := []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02T15:04Z07:00", "2006-01-02"}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC().Truncate(time.Second)
			return t, CheckTimeRange("the time", t)
		}
	}
	return time.Time{}, Errorf(EINVALID, "malformed time %q: want RFC 3339 such as 2026-01-05T10:00:00Z, or a date such as 2026-01-05", s)
}

// The years a time given to pvczar may lie in: wide enough for any
// lifecycle, and narrow enough that a deadline MaxDays later still has a
// four-digit year (RFC 3339 and JSON have no other).
const (
	MinYear = 1970
	MaxYear = 2999
)

// CheckTimeRange refuses a time outside the years MinYear to MaxYear,
// naming what it is.
func CheckTimeRange(what string, t time.Time) error {
	if y := t.UTC().Year(); y < MinYear || y > MaxYear {
		return Errorf(EINVALID, "%s %s is out of range: pvczar takes times from %d to %d", what, t.UTC().Format(time.RFC3339), MinYear, MaxYear)
	}
	return nil
}

// FormatDuration shows a duration in days and hours, e.g. "3d 4h".
func FormatDuration(d time.Duration) string {
	if d < 0 {
		return "-" + FormatDuration(-d)
	}
	days := int(d / Day)
	hours := int((d % Day) / time.Hour)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, int((d%time.Hour)/time.Minute))
	default:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
}
