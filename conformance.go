package pvczar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Conformance says that an implementation conforms to one version of its
// protocol's spec, with some of the features that version declares: as
// whoever recorded it says (pvczar impl --conforms), or as an uploaded
// conformance run shows (Run).
type Conformance struct {
	SpecVersion int             `json:"spec_version"`
	Features    []string        `json:"features,omitempty"`
	Run         *ConformanceRun `json:"run,omitempty"`
}

// ConformanceRun is the result of a conformance run as a test tool writes
// it, a JSON object (pvczar impl --conformance-result FILE): on Date (RFC
// 3339), Tool at ToolVersion found that Implementation (its pvczar id,
// e.g. linux-frontend) of Protocol conforms to version SpecVersion of the
// protocol's spec with Features, by the tests Passed. A run that lists a
// Failed test shows no conformance and is refused, as is any unknown field.
type ConformanceRun struct {
	Protocol       string   `json:"protocol"`
	Implementation string   `json:"implementation"`
	SpecVersion    int      `json:"spec_version"`
	Features       []string `json:"features,omitempty"`
	Passed         []string `json:"passed"`
	Failed         []string `json:"failed,omitempty"`
	Tool           string   `json:"tool"`
	ToolVersion    string   `json:"tool_version"`
	Date           string   `json:"date"`
}

// Bounds of a conformance run's result.
const (
	MaxConformanceResult = 256 << 10 // bytes of the file
	MaxConformanceTests  = 2048      // tests passed
	maxConformanceName   = 200       // bytes of a test's, a feature's, the tool's name or version
)

// conformanceFields are the fields of a run's result, spelled exactly.
var conformanceFields = []string{"protocol", "implementation", "spec_version", "features", "passed", "failed", "tool", "tool_version", "date"}

// ParseConformanceRun reads the result of a conformance run, strictly: one
// JSON object with only the fields of ConformanceRun, each spelled exactly,
// given once and valid. Errors: EINVALID, naming the field at fault.
func ParseConformanceRun(data []byte) (*ConformanceRun, error) {
	if len(data) > MaxConformanceResult {
		return nil, Errorf(EINVALID, "conformance result: %d bytes; at most %d are read", len(data), MaxConformanceResult)
	}
	if err := checkFieldNames(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var run ConformanceRun
	err := dec.Decode(&run)
	if err == nil && dec.More() {
		return nil, Errorf(EINVALID, "conformance result: unexpected data after the JSON object")
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &syn):
		return nil, Errorf(EINVALID, "conformance result: not valid JSON: %v (at byte %d)", syn, syn.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return nil, Errorf(EINVALID, "conformance result: field %s: want %s, got %s", typ.Field, typ.Type, typ.Value)
	case errors.As(err, &typ):
		return nil, Errorf(EINVALID, "conformance result: want a JSON object, not %s", typ.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return nil, Errorf(EINVALID, "conformance result: empty or cut short: want a JSON object")
	default:
		return nil, Errorf(EINVALID, "conformance result: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if err := run.check(); err != nil {
		return nil, err
	}
	return &run, nil
}

// checkFieldNames refuses a field of a result's object that a run does not
// have, which encoding/json would skip, or would match in another case,
// and a field given twice, whose first value it would drop. What is not a
// JSON object is left to the decoder to name.
func checkFieldNames(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		name, _ := t.(string)
		switch {
		case !slices.Contains(conformanceFields, name):
			return Errorf(EINVALID, "conformance result: unknown field %q: a run's fields are %s", name, strings.Join(conformanceFields, ", "))
		case seen[name]:
			return Errorf(EINVALID, "conformance result: field %s is given twice", name)
		}
		seen[name] = true
		var value json.RawMessage
		if dec.Decode(&value) != nil {
			return nil
		}
	}
	return nil
}

// check validates a run on its own, and writes its date in UTC.
func (run *ConformanceRun) check() error {
	bad := func(field, format string, args ...any) error {
		return Errorf(EINVALID, "conformance result: field %s: %s", field, fmt.Sprintf(format, args...))
	}
	switch {
	case !ValidSlug(run.Protocol):
		return bad("protocol", "want the protocol's id, e.g. blkif, got %q", run.Protocol)
	case checkName(run.Implementation) != "":
		return bad("implementation", "%s: want its id, e.g. linux-frontend", checkName(run.Implementation))
	case run.SpecVersion < 1:
		return bad("spec_version", "want the spec's version, at least 1, got %d", run.SpecVersion)
	case checkName(run.Tool) != "":
		return bad("tool", "%s: want the name of the tool that ran the tests", checkName(run.Tool))
	case checkName(run.ToolVersion) != "":
		return bad("tool_version", "%s: want the version of the tool", checkName(run.ToolVersion))
	case len(run.Failed) > 0:
		var first []string
		for _, name := range run.Failed[:min(3, len(run.Failed))] {
			first = append(first, clipText(name, maxConformanceName))
		}
		return bad("failed", "%d test(s) failed (%s): a run with a failed test shows no conformance", len(run.Failed), strings.Join(first, ", "))
	case len(run.Passed) == 0:
		return bad("passed", "no test passed: a run shows conformance by the tests it passed")
	case len(run.Passed) > MaxConformanceTests:
		return bad("passed", "%d tests; at most %d are kept", len(run.Passed), MaxConformanceTests)
	}
	if err := checkNames(run.Features); err != "" {
		return bad("features", "%s", err)
	}
	if len(run.Features) == 0 {
		run.Features = nil // as it reads back
	}
	run.Failed = nil
	if err := checkNames(run.Passed); err != "" {
		return bad("passed", "%s", err)
	}
	date, err := time.Parse(time.RFC3339, run.Date)
	if err != nil {
		return bad("date", "want the time of the run in RFC 3339, e.g. 2026-03-02T09:00:00Z, got %q", run.Date)
	}
	if err := CheckTimeRange("the run's date", date); err != nil {
		return bad("date", "%s", ErrorMessage(err))
	}
	run.Date = date.UTC().Format(time.RFC3339)
	return nil
}

// checkName says what is wrong with a name a run gives (empty when
// nothing is): a test's, a feature's, the tool's or its version.
func checkName(s string) string {
	switch {
	case strings.TrimSpace(s) == "":
		return "empty"
	case len(s) > maxConformanceName:
		return fmt.Sprintf("%d bytes; at most %d", len(s), maxConformanceName)
	case !utf8.ValidString(s):
		return fmt.Sprintf("%q is not UTF-8", s)
	case strings.TrimSpace(s) != s || strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Sprintf("%q has surrounding spaces or control characters", s)
	}
	return ""
}

// checkNames says what is wrong with a list of names, each of which must
// be valid and given once.
func checkNames(names []string) string {
	seen := map[string]bool{}
	for _, n := range names {
		if why := checkName(n); why != "" {
			return why
		}
		if seen[n] {
			return fmt.Sprintf("%q is given twice", n)
		}
		seen[n] = true
	}
	return ""
}

// checkConformance checks the conformance an implementation command
// records for p at the time at: a run must be of p and of this
// implementation, dated no later than at, and agree with the version and
// features given beside it (which it fills when they are not); each
// version must be one of p's recorded specs (the latest or the production
// spec), and each feature one that version declares. Features are kept
// sorted.
func checkConformance(impl *Implementation, p *Protocol, at time.Time) error {
	seen := map[int]bool{}
	for i := range impl.Conformance {
		c := &impl.Conformance[i]
		if run := c.Run; run != nil {
			if err := run.check(); err != nil {
				return err
			}
			date, _ := time.Parse(time.RFC3339, run.Date)
			switch {
			case run.Protocol != p.ID:
				return Errorf(EINVALID, "conformance result: field protocol: the run is of %s, not %s", run.Protocol, p.ID)
			case run.Implementation != impl.ID:
				return Errorf(EINVALID, "conformance result: field implementation: the run is of %s, not %s", run.Implementation, impl.ID)
			case date.After(at):
				return Errorf(EINVALID, "conformance result: field date: %s is later than now, %s", run.Date, at.UTC().Format(time.RFC3339))
			case c.SpecVersion != 0 && c.SpecVersion != run.SpecVersion:
				return Errorf(EINVALID, "spec_version: %d, but the conformance result's spec_version is %d", c.SpecVersion, run.SpecVersion)
			case c.Features != nil && !sameNames(c.Features, run.Features):
				return Errorf(EINVALID, "features: %s, but the conformance result's features are %s", namesOrNone(c.Features), namesOrNone(run.Features))
			}
			c.SpecVersion, c.Features = run.SpecVersion, slices.Clone(run.Features)
		}
		declared, recorded := p.specFeatures(c.SpecVersion)
		switch {
		case p.Spec == nil && p.ProductionSpec == nil:
			return Errorf(EINVALID, "spec_version: %s has no spec recorded to conform to (pvczar evidence %s spec --file SPEC)", p.ID, p.ID)
		case !recorded:
			return Errorf(EINVALID, "spec_version: %s has no recorded spec of version %d (recorded: %s)", p.ID, c.SpecVersion, p.specVersions())
		case seen[c.SpecVersion]:
			return Errorf(EINVALID, "spec_version: version %d is given twice", c.SpecVersion)
		}
		seen[c.SpecVersion] = true
		if why := checkNames(c.Features); why != "" {
			return Errorf(EINVALID, "features: %s", why)
		}
		for _, f := range c.Features {
			if !slices.Contains(declared, f) {
				return Errorf(EINVALID, "features: %q is not a feature of %s's spec version %d, which declares %s", f, p.ID, c.SpecVersion, namesOrNone(declared))
			}
		}
		slices.Sort(c.Features)
	}
	return nil
}

// sameNames reports whether a and b hold the same names, in any order.
func sameNames(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// specFeatures returns the features p's recorded specs of version v
// declare (the latest spec's and the production spec's, when both are of
// v), and whether either is of v.
func (p *Protocol) specFeatures(v int) ([]string, bool) {
	var features []string
	found := false
	for _, s := range []*SpecRecord{p.Spec, p.ProductionSpec} {
		if s != nil && s.Version == v {
			found = true
			for _, f := range s.Features {
				if !slices.Contains(features, f) {
					features = append(features, f)
				}
			}
		}
	}
	slices.Sort(features)
	return features, found
}

// specVersions lists the versions of p's recorded specs, for a message.
func (p *Protocol) specVersions() string {
	var vs []string
	for _, s := range []*SpecRecord{p.Spec, p.ProductionSpec} {
		if s != nil && !slices.Contains(vs, fmt.Sprintf("%d", s.Version)) {
			vs = append(vs, fmt.Sprintf("%d", s.Version))
		}
	}
	return namesOrNone(vs)
}

// recordConformance keeps one entry per spec version: a new one for a
// version replaces the old, and the list stays in version order. It builds
// a new list, which shares no array with the event's or a clone's.
func (impl *Implementation) recordConformance(cs []Conformance) {
	if len(cs) == 0 {
		return
	}
	kept := slices.DeleteFunc(slices.Clone(impl.Conformance), func(old Conformance) bool {
		return slices.ContainsFunc(cs, func(c Conformance) bool { return c.SpecVersion == old.SpecVersion })
	})
	impl.Conformance = append(kept, cs...)
	slices.SortFunc(impl.Conformance, func(a, b Conformance) int { return a.SpecVersion - b.SpecVersion })
}

// ConformsTo returns the implementation's conformance to spec version v,
// or nil when none is recorded.
func (impl *Implementation) ConformsTo(v int) *Conformance {
	for i := range impl.Conformance {
		if impl.Conformance[i].SpecVersion == v {
			return &impl.Conformance[i]
		}
	}
	return nil
}

// ConformanceMatrix is a protocol's implementations × spec versions ×
// features: the versions of its recorded specs and those implementations
// conform to, each with its features, and for each implementation what it
// conforms to of each version.
type ConformanceMatrix struct {
	Versions []MatrixVersion `json:"versions"`
	Rows     []MatrixRow     `json:"implementations"`
}

// MatrixVersion is one spec version of a conformance matrix: its features
// (those its recorded specs declare and those implementations conform
// with), and whether it is the version of the latest recorded spec.
type MatrixVersion struct {
	Version  int      `json:"version"`
	Features []string `json:"features"`
	Current  bool     `json:"current,omitempty"`
}

// MatrixRow is one implementation of a conformance matrix, with a cell
// for each of the matrix's versions.
type MatrixRow struct {
	Implementation string       `json:"implementation"`
	Side           string       `json:"side"`
	Cells          []MatrixCell `json:"versions"`
}

// MatrixCell is what an implementation conforms to of one spec version:
// nothing (Conforms nil), or a recorded conformance; Has tells, for each
// of the version's features in order, whether the implementation conforms
// with it.
type MatrixCell struct {
	Version  int          `json:"version"`
	Conforms *Conformance `json:"conforms,omitempty"`
	Has      []bool       `json:"-"`
}

// ConformanceMatrix builds p's conformance matrix; it has no versions when
// p has no spec recorded and no implementation conforms to one.
func (p *Protocol) ConformanceMatrix() ConformanceMatrix {
	var m ConformanceMatrix
	version := func(v int) *MatrixVersion {
		i := slices.IndexFunc(m.Versions, func(mv MatrixVersion) bool { return mv.Version == v })
		if i < 0 {
			m.Versions = append(m.Versions, MatrixVersion{Version: v, Features: []string{}})
			i = len(m.Versions) - 1
		}
		return &m.Versions[i]
	}
	addFeatures := func(mv *MatrixVersion, fs []string) {
		for _, f := range fs {
			if !slices.Contains(mv.Features, f) {
				mv.Features = append(mv.Features, f)
			}
		}
	}
	for _, s := range []*SpecRecord{p.Spec, p.ProductionSpec} {
		if s != nil {
			addFeatures(version(s.Version), s.Features)
		}
	}
	for _, impl := range p.Implementations {
		for _, c := range impl.Conformance {
			addFeatures(version(c.SpecVersion), c.Features)
		}
	}
	slices.SortFunc(m.Versions, func(a, b MatrixVersion) int { return a.Version - b.Version })
	for i := range m.Versions {
		slices.Sort(m.Versions[i].Features)
		m.Versions[i].Current = p.Spec != nil && p.Spec.Version == m.Versions[i].Version
	}
	if len(m.Versions) == 0 {
		return m
	}
	for _, impl := range p.Implementations {
		row := MatrixRow{Implementation: impl.ID, Side: impl.Side}
		for _, mv := range m.Versions {
			cell := MatrixCell{Version: mv.Version, Conforms: impl.ConformsTo(mv.Version)}
			for _, f := range mv.Features {
				cell.Has = append(cell.Has, cell.Conforms != nil && slices.Contains(cell.Conforms.Features, f))
			}
			row.Cells = append(row.Cells, cell)
		}
		m.Rows = append(m.Rows, row)
	}
	return m
}

// Describe says in words what c records, e.g. "v2 with barrier, discard
// (run of xen-pvtest 1.4 on 2026-03-02T09:00:00Z: 12 tests passed)".
func (c Conformance) Describe() string {
	s := fmt.Sprintf("v%d", c.SpecVersion)
	if len(c.Features) > 0 {
		s += " with " + strings.Join(c.Features, ", ")
	}
	if r := c.Run; r != nil {
		s += fmt.Sprintf(" (run of %s %s on %s: %d test(s) passed)", r.Tool, r.ToolVersion, r.Date, len(r.Passed))
	}
	return s
}

// conformanceDetail says, for the implementations gate, which of the
// implementations named conform to the version of p's latest spec, and
// with which features; "" when p has no spec recorded.
func (p *Protocol) conformanceDetail(ids []string) string {
	if p.Spec == nil || len(ids) == 0 {
		return ""
	}
	v := p.Spec.Version
	var parts []string
	for _, id := range ids {
		i := slices.IndexFunc(p.Implementations, func(impl Implementation) bool { return impl.ID == id })
		impl := &p.Implementations[i]
		switch c := impl.ConformsTo(v); {
		case c != nil && len(c.Features) > 0:
			parts = append(parts, fmt.Sprintf("%s conforms to v%d with %s", id, v, strings.Join(c.Features, ", ")))
		case c != nil:
			parts = append(parts, fmt.Sprintf("%s conforms to v%d with no feature", id, v))
		case len(impl.Conformance) > 0:
			var older []string
			for _, c := range impl.Conformance {
				older = append(older, fmt.Sprintf("v%d", c.SpecVersion))
			}
			parts = append(parts, fmt.Sprintf("%s: no conformance to v%d recorded (conforms to %s)", id, v, strings.Join(older, ", ")))
		default:
			parts = append(parts, id+": no conformance recorded")
		}
	}
	return fmt.Sprintf("conformance to the spec (v%d), which does not decide this gate: %s", v, strings.Join(parts, "; "))
}
