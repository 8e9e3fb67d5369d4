package pvczar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Config holds the numbers of the lifecycle that a community may tune. The
// zero value is not valid; start from DefaultConfig.
type Config struct {
	// PrototypeWindowDays and ProductionWindowDays are the default lengths of
	// a lazy-consensus window for a move to that stage.
	PrototypeWindowDays  int `json:"prototype_window_days"`
	ProductionWindowDays int `json:"production_window_days"`
	// QuorumAcks is how many acks from maintainers other than the proposer a
	// proposal needs; 0 switches the quorum off.
	QuorumAcks int `json:"quorum_acks"`
	// LapseDays is how long an objector may leave the ball in their court
	// before the objection lapses.
	LapseDays int `json:"lapse_days"`
	// StallDays is how long a proposer may leave an objection unanswered
	// before the proposal is reported stalled.
	StallDays int `json:"stall_days"`
	// HoldDays is the longest a hold pauses completion.
	HoldDays int `json:"hold_days"`
	// OverdueDays is how long a ready proposal may wait for the Czar's
	// decision before it is reported overdue.
	OverdueDays int `json:"overdue_days"`
	// StaleDays is how long a protocol may sit in prototype with no open
	// proposal before it is reported stale.
	StaleDays int `json:"stale_days"`
}

// Floors that configuration may not go below, and ceilings it may not go
// above: every number of days lies between its floor and MaxDays (ten
// years), and the quorum between 0 and MaxQuorum.
const (
	MinWindowDays = 7
	MinLapseDays  = 3
	MaxDays       = 3650
	MaxQuorum     = 100
)

// DefaultConfig returns the defaults of the lifecycle rules.
func DefaultConfig() Config {
	return Config{
		PrototypeWindowDays:  10,
		ProductionWindowDays: 14,
		QuorumAcks:           1,
		LapseDays:            7,
		StallDays:            30,
		HoldDays:             7,
		OverdueDays:          7,
		StaleDays:            730,
	}
}

// Validate reports the first field outside its range, naming it.
func (c Config) Validate() error {
	checks := []struct {
		field    string
		value    int
		min, max int
	}{
		{"prototype_window_days", c.PrototypeWindowDays, MinWindowDays, MaxDays},
		{"production_window_days", c.ProductionWindowDays, MinWindowDays, MaxDays},
		{"quorum_acks", c.QuorumAcks, 0, MaxQuorum},
		{"lapse_days", c.LapseDays, MinLapseDays, MaxDays},
		{"stall_days", c.StallDays, 1, MaxDays},
		{"hold_days", c.HoldDays, 1, MaxDays},
		{"overdue_days", c.OverdueDays, 1, MaxDays},
		{"stale_days", c.StaleDays, 1, MaxDays},
	}
	for _, ch := range checks {
		if ch.value < ch.min || ch.value > ch.max {
			return Errorf(EINVALID, "%s is %d; it must be from %d to %d", ch.field, ch.value, ch.min, ch.max)
		}
	}
	return nil
}

// WindowDays returns the default window length for a move to stage to.
func (c Config) WindowDays(to Stage) int {
	if to == StageProduction {
		return c.ProductionWindowDays
	}
	return c.PrototypeWindowDays
}

// ReadConfig decodes a JSON configuration from r over the defaults: fields
// left out keep their default. Unknown fields, wrong types, values out of
// range, null and an empty document are errors that name the source, and
// the line and the field where there is one.
func ReadConfig(name string, r io.Reader) (Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return Config{}, Errorf(EINVALID, "%s: %v", name, err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err == nil {
		if fields == nil {
			return Config{}, Errorf(EINVALID, "%s: the configuration is null: want an object such as {\"lapse_days\": 7}", name)
		}
		for field, v := range fields {
			if string(bytes.TrimSpace(v)) == "null" {
				return Config{}, Errorf(EINVALID, "%s: line %d: field %s is null: give a number, or leave the field out for its default", name, lineOf(data, int64(bytes.Index(data, []byte(`"`+field+`"`)))), field)
			}
		}
	}
	cfg := DefaultConfig()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, Errorf(EINVALID, "%s: %s", name, describeJSONError(data, err))
	}
	if dec.More() {
		return Config{}, Errorf(EINVALID, "%s: unexpected data after the configuration object", name)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, Errorf(EINVALID, "%s: %s", name, ErrorMessage(err))
	}
	return cfg, nil
}

// describeJSONError turns a decoding error into a message with a line number.
func describeJSONError(data []byte, err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case asError(err, &syntax):
		return fmt.Sprintf("line %d: %v", lineOf(data, syntax.Offset), err)
	case asError(err, &typ):
		return fmt.Sprintf("line %d: field %s: want %s, got %s", lineOf(data, typ.Offset), typ.Field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	case err == io.EOF:
		return "empty file"
	default:
		return err.Error()
	}
}

func lineOf(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return 1 + bytes.Count(data[:offset], []byte("\n"))
}

// RuleNumbers are the numbers and gates in force, as `pvczar rules --json`
// and GET /api/v1/rules show them.
type RuleNumbers struct {
	Config       Config              `json:"config"`
	Gates        map[string][]string `json:"gates"`
	DeadlineZone string              `json:"deadline_zone"`
	Floors       map[string]int      `json:"floors"`
	// AwayDaysPerYear is the most days of absence a person may declare
	// for a calendar year.
	AwayDaysPerYear int `json:"away_days_per_year"`
}

// Rules returns the numbers and gates in force under cfg.
func Rules(cfg Config) RuleNumbers {
	gates := map[string][]string{}
	for _, st := range []Stage{StagePrototype, StageProduction} {
		gates[string(st)] = GatesFor(st)
	}
	return RuleNumbers{Config: cfg, Gates: gates, DeadlineZone: "AoE (UTC-12)",
		Floors: map[string]int{"window_days": MinWindowDays, "lapse_days": MinLapseDays}, AwayDaysPerYear: AwayDaysPerYear}
}
