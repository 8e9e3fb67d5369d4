package pvczar_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// FuzzReadConfig: any input is either a valid configuration (every floor
// holds) or an error that names the file; never a panic.
func FuzzReadConfig(f *testing.F) {
	for _, seed := range []string{`null`, `{"lapse_days": null}`, `{"stale_days": 9223372036854775807}`, `{}`, `{"lapse_days": 7}`, `{"quorum_acks": 0, "stale_days": 1}`, `{"x": 1}`, `[1]`, `{"lapse_days": 1e99}`, "{\n\"lapse_days\": \"7\"}", ``, `{} {}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := pvczar.ReadConfig("fuzz.json", bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if verr := cfg.Validate(); verr != nil {
			t.Fatalf("accepted an invalid configuration %+v: %v", cfg, verr)
		}
	})
}

// FuzzParseTime: a parsed time is UTC, whole seconds, and formats back to
// something that parses to the same instant.
func FuzzParseTime(f *testing.F) {
	for _, seed := range []string{"2026-03-02T09:00:00Z", "2026-03-02", "2026-03-02T09:00:00.5+05:30", "2026-03-02 09:00:00-12:00", "yesterday", "", "2026-02-30", "0001-01-01", "9999-12-31T23:59:59Z"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := pvczar.ParseTime(s)
		if err != nil {
			if !strings.Contains(err.Error(), "malformed time") && !strings.Contains(err.Error(), "is out of range") {
				t.Fatalf("unexpected error text: %v", err)
			}
			return
		}
		if got.Location() != time.UTC || got.Nanosecond() != 0 {
			t.Fatalf("ParseTime(%q) = %v, not whole-second UTC", s, got)
		}
		again, err := pvczar.ParseTime(got.Format(time.RFC3339))
		if err != nil || !again.Equal(got) {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
	})
}

// FuzzDeadlineArithmetic: for any time pvczar accepts and any number of
// days a configuration allows, a window's deadline lies between days and
// days+2 after it opened, and is written and read back as RFC 3339 (JSON
// has no room for a five-digit year); numbers out of range are refused.
func FuzzDeadlineArithmetic(f *testing.F) {
	for _, seed := range []struct {
		unix int64
		days int
	}{
		{1772442000, 10}, {0, 1}, {32503680000, pvczar.MaxDays}, {-62135596800, 7}, {1<<62 - 1, 1 << 62}, {-1 << 62, -1}, {1772442000, pvczar.MaxDays + 1},
	} {
		f.Add(seed.unix, seed.days)
	}
	f.Fuzz(func(t *testing.T, unix int64, days int) {
		opened := time.Unix(unix, 0).UTC()
		cfg := pvczar.DefaultConfig()
		cfg.PrototypeWindowDays = days
		if cfg.Validate() != nil || pvczar.CheckTimeRange("opened", opened) != nil {
			if days >= pvczar.MinWindowDays && days <= pvczar.MaxDays && opened.Year() >= pvczar.MinYear && opened.Year() <= pvczar.MaxYear {
				t.Fatalf("refused a window of %d days opened at %s", days, opened)
			}
			return
		}
		deadline := pvczar.EndOfDayAoE(opened, days)
		if gap := deadline.Sub(opened); gap < time.Duration(days)*pvczar.Day || gap > time.Duration(days+2)*pvczar.Day {
			t.Fatalf("a %d-day window opened at %s closes at %s", days, opened, deadline)
		}
		text, err := deadline.MarshalJSON()
		if err != nil {
			t.Fatalf("the deadline %s cannot be written: %v", deadline, err)
		}
		var back time.Time
		if err := back.UnmarshalJSON(text); err != nil || !back.Equal(deadline) {
			t.Fatalf("the deadline %s reads back as %s: %v", deadline, back, err)
		}
	})
}

// FuzzParseConformanceRun: any input is either a run whose every field is
// valid, which reads back the same once written, or an invalid-input error
// about the conformance result; never a panic.
func FuzzParseConformanceRun(f *testing.F) {
	for _, seed := range []string{
		`{"protocol": "blkif", "implementation": "linux-frontend", "spec_version": 2, "features": ["discard"], "passed": ["connect"], "tool": "pvtest", "tool_version": "0.3.1", "date": "2026-03-02T09:00:00+01:00"}`,
		`{"protocol": "blkif", "implementation": "linux-frontend", "spec_version": 1, "passed": ["a", "a"], "tool": "t", "tool_version": "1", "date": "2026-03-02T09:00:00Z"}`,
		`{"failed": ["x"]}`, `{"spec_version": 1e99}`, `{"date": 5}`, `null`, `[]`, ``, `{} {}`, `{"passed": [null]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		run, err := pvczar.ParseConformanceRun(data)
		if err != nil {
			if pvczar.ErrorCode(err) != pvczar.EINVALID || !strings.HasPrefix(err.Error(), "conformance result: ") {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if run.Protocol == "" || run.Implementation == "" || run.SpecVersion < 1 || len(run.Passed) == 0 || len(run.Failed) > 0 || run.Tool == "" || run.ToolVersion == "" {
			t.Fatalf("accepted an incomplete run %+v", run)
		}
		text, err := json.Marshal(run)
		if err != nil {
			t.Fatal(err)
		}
		again, err := pvczar.ParseConformanceRun(text)
		if err != nil || !reflect.DeepEqual(again, run) {
			t.Fatalf("%+v reads back as %+v, %v", run, again, err)
		}
	})
}
