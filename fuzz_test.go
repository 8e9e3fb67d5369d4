package pvczar_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// FuzzReadConfig: any input is either a valid configuration (every floor
// holds) or an error that names the file; never a panic.
func FuzzReadConfig(f *testing.F) {
	for _, seed := range []string{`{}`, `{"lapse_days": 7}`, `{"quorum_acks": 0, "stale_days": 1}`, `{"x": 1}`, `[1]`, `{"lapse_days": 1e99}`, "{\n\"lapse_days\": \"7\"}", ``, `{} {}`} {
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
	for _, seed := range []string{"2026-03-02T09:00:00Z", "2026-03-02", "2026-03-02T09:00:00.5+05:30", "2026-03-02 09:00:00-12:00", "yesterday", "", "2026-02-30"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := pvczar.ParseTime(s)
		if err != nil {
			if !strings.Contains(err.Error(), "malformed time") {
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
