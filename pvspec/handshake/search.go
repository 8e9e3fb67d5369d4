package handshake

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/xen-pvczar/pvczar/pvspec"
)

// The key states.
const (
	absent  uint8 = iota // never written
	present              // written in this connection
	stale                // written before its writer started over
	removed              // removed by a fault
)

// The properties.
const (
	PropDeadlock   = "deadlock"
	PropProgress   = "progress"
	PropRead       = "read"
	PropTransition = "transition"
	PropTeardown   = "teardown"
)

// Defaults of Options.
const (
	DefaultMaxStates  = 1 << 18
	DefaultMaxConfigs = 1 << 12
	DefaultFaults     = 1
)

// Options tune Verify. The zero value is the defaults.
type Options struct {
	// Old is the spec of the previous version: each side is then
	// independently the old or the new one.
	Old *pvspec.Spec
	// MaxStates bounds the states of one configuration (memory);
	// DefaultMaxStates when 0.
	MaxStates int
	// MaxConfigs bounds the configurations (pairings × features);
	// DefaultMaxConfigs when 0.
	MaxConfigs int
	// Faults is how many faults a run may take: DefaultFaults when 0, none
	// when negative.
	Faults int
}

// Result is what Verify found.
type Result struct {
	File     string        `json:"file"`
	Old      string        `json:"old,omitempty"`
	Configs  int           `json:"configurations"`
	States   int           `json:"states"`     // explored, over all configurations
	Pruned   int           `json:"pruned"`     // transitions the partial-order reduction left out
	Elapsed  time.Duration `json:"elapsed_ns"` // wall time
	Failures []*Failure    `json:"failures"`   // one per property and fault, the shortest trace
}

// OK tells whether every property holds in every configuration.
func (r *Result) OK() bool { return len(r.Failures) == 0 }

// Failure is a property that fails: the shortest trace over all
// configurations, and how many configurations fail it.
type Failure struct {
	Property string `json:"property"`
	Fault    string `json:"fault,omitempty"` // the fault the trace takes, if any
	Message  string `json:"message"`
	Configs  int    `json:"configurations"`
	Trace    *Trace `json:"trace"`
}

func (f *Failure) String() string {
	s := fmt.Sprintf("%s: %s (%d configuration(s); shortest in: %s)", f.Property, f.Message, f.Configs, f.Trace.Config)
	if f.Fault != "" {
		s = fmt.Sprintf("%s after a %s: %s (%d configuration(s); shortest in: %s)", f.Property, f.Fault, f.Message, f.Configs, f.Trace.Config)
	}
	return s
}

// LimitError is a bound that a spec exceeds.
type LimitError struct {
	File  string
	Bound string // "MaxStates" or "MaxConfigs"
	Limit int
	What  string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: %s exceeds the bound %s = %d", e.File, e.What, e.Bound, e.Limit)
}

// Verify explores every configuration of a spec's handshake (and, with
// opts.Old, of its pairings with the previous version) and checks the
// properties of the package documentation. It returns a *pvspec.Error for
// a handshake it cannot model (a side or state that does not exist), a
// *LimitError when a bound is exceeded, and ctx's error when it is done.
func Verify(ctx context.Context, s *pvspec.Spec, opts Options) (*Result, error) {
	start := time.Now()
	if opts.MaxStates <= 0 {
		opts.MaxStates = DefaultMaxStates
	}
	if opts.MaxConfigs <= 0 {
		opts.MaxConfigs = DefaultMaxConfigs
	}
	if opts.Faults == 0 {
		opts.Faults = DefaultFaults
	}
	opts.Faults = max(opts.Faults, 0)
	res := &Result{File: s.File, Failures: []*Failure{}}
	if len(s.Handshake) == 0 {
		return nil, &pvspec.Error{File: s.File, Pos: pvspec.Pos{Line: 1, Column: 1}, Msg: "the spec has no handshake to verify"}
	}
	if opts.Old != nil {
		res.Old = opts.Old.File
	}
	configs, err := configurations(s, opts)
	if err != nil {
		return nil, err
	}
	res.Configs = len(configs)
	byProp := map[[2]string]*Failure{}
	var order [][2]string
	for _, c := range configs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, err := build(c.specs, c.cfg, opts.Faults > 0)
		if err != nil {
			return nil, err
		}
		fails, states, pruned, err := m.explore(ctx, opts)
		res.States += states
		res.Pruned += pruned
		if err != nil {
			return nil, err
		}
		for _, f := range fails {
			k := [2]string{f.Property, f.Fault}
			old := byProp[k]
			if old == nil {
				order = append(order, k)
				byProp[k] = f
				continue
			}
			f.Configs = old.Configs + 1
			if len(f.Trace.Steps) < len(old.Trace.Steps) {
				byProp[k] = f
			} else {
				old.Configs++
			}
		}
	}
	for _, k := range order {
		res.Failures = append(res.Failures, byProp[k])
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// run is a configuration with the specs of its two sides.
type run struct {
	specs [2]*pvspec.Spec
	cfg   Config
}

// configurations lists every pairing of old and new sides, with every
// combination of the features the handshake depends on.
func configurations(s *pvspec.Spec, opts Options) ([]run, error) {
	type pairing struct {
		names [2]string
		specs [2]*pvspec.Spec
	}
	pairings := []pairing{{[2]string{"new", "new"}, [2]*pvspec.Spec{s, s}}}
	if o := opts.Old; o != nil {
		pairings = append(pairings,
			pairing{[2]string{"old", "new"}, [2]*pvspec.Spec{o, s}},
			pairing{[2]string{"new", "old"}, [2]*pvspec.Spec{s, o}},
			pairing{[2]string{"old", "old"}, [2]*pvspec.Spec{o, o}})
	}
	var out []run
	for _, p := range pairings {
		version := versionInPlay(p.specs)
		// The dimensions: a feature the handshake depends on, on a side
		// whose spec defines it.
		type dim struct {
			feature string
			side    int // front, back, or 2 for the toolstack
		}
		var dims []dim
		for _, name := range handshakeFeatures(p.specs) {
			for side := range 2 {
				if slices.ContainsFunc(p.specs[side].Features, func(f *pvspec.Feature) bool { return f.Name == name }) {
					dims = append(dims, dim{name, side})
				}
			}
			if advertiser(p.specs[front], name) == "toolstack" || advertiser(p.specs[back], name) == "toolstack" {
				dims = append(dims, dim{name, 2})
			}
		}
		if len(dims) > 30 || len(out)+len(pairings)<<len(dims) > opts.MaxConfigs {
			return nil, &LimitError{File: s.File, Bound: "MaxConfigs", Limit: opts.MaxConfigs, What: fmt.Sprintf("%d pairing(s) × 2^%d feature settings", len(pairings), len(dims))}
		}
		for bits := 0; bits < 1<<len(dims); bits++ {
			cfg := Config{Frontend: p.names[front], Backend: p.names[back], Version: version}
			for _, name := range handshakeFeatures(p.specs) {
				cfg.Features = append(cfg.Features, FeatureSetting{Name: name})
			}
			for i, d := range dims {
				on := bits>>i&1 == 1
				fs := &cfg.Features[slices.IndexFunc(cfg.Features, func(f FeatureSetting) bool { return f.Name == d.feature })]
				switch d.side {
				case front:
					fs.Frontend = on
				case back:
					fs.Backend = on
				default:
					fs.Toolstack = on
				}
			}
			out = append(out, run{p.specs, cfg})
		}
	}
	return out, nil
}

// versionInPlay is the highest version both sides offer; without
// versioning, the lower of the two specs' versions; 0 when they have none
// in common.
func versionInPlay(specs [2]*pvspec.Spec) int {
	f, b := specs[front].Versioning.Offered, specs[back].Versioning.Offered
	if len(f) == 0 || len(b) == 0 {
		return min(specs[front].Version, specs[back].Version)
	}
	v := 0
	for _, x := range b {
		if slices.Contains(f, x) {
			v = max(v, x)
		}
	}
	return v
}

// handshakeFeatures are the features a handshake depends on: those of its
// steps and of the keys its steps read or write, in name order.
func handshakeFeatures(specs [2]*pvspec.Spec) []string {
	var out []string
	add := func(name string) {
		if name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for _, s := range specs {
		for _, st := range s.Handshake {
			add(st.Feature)
			for _, name := range append(slices.Clone(st.Reads), st.Writes...) {
				for _, k := range s.Xenstore {
					if k.Name == name {
						add(k.Feature)
					}
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// state is one state of a run.
type state struct {
	side    [2]uint8
	pending [2]bool
	faults  uint8
	keys    []uint8
}

func (s *state) encode() string {
	b := make([]byte, 0, 4+len(s.keys))
	p := 0
	for i, on := range s.pending {
		if on {
			p |= 1 << i
		}
	}
	b = append(b, s.side[0], s.side[1], byte(p), s.faults)
	return string(append(b, s.keys...))
}

func decode(e string) *state {
	s := &state{side: [2]uint8{e[0], e[1]}, pending: [2]bool{e[2]&1 != 0, e[2]&2 != 0}, faults: e[3], keys: []byte(e[4:])}
	return s
}

func (s *state) clone() *state {
	c := *s
	c.keys = slices.Clone(s.keys)
	return &c
}

// enabled tells whether t can be taken in s.
func (m *model) enabled(s *state, t *trans, maxFaults int) bool {
	if t.fault != "" {
		if int(s.faults) >= maxFaults {
			return false
		}
		switch t.fault {
		case FaultBackendRestart:
			return s.side[back] != unknown && s.side[back] != initialising
		case FaultFrontendResume:
			return s.side[front] == connected
		default:
			return s.side[front] == connected && s.side[back] == connected
		}
	}
	if s.side[t.side] != t.from {
		return false
	}
	return t.after < 0 || s.pending[t.side] && reached(s.side[1-t.side], uint8(t.after))
}

// take applies t to s; it returns the new state and the violation the
// step makes, if any (property and message).
func (m *model) take(s *state, t *trans) (*state, string, string) {
	n := s.clone()
	if t.fault != "" {
		// Every fault starts a side (or both) over in Initialising, and
		// both watches fire.
		switch t.fault {
		case FaultBackendRestart:
			m.dropKeys(n, back, removed)
			n.side[back] = initialising
		case FaultFrontendResume:
			m.dropKeys(n, front, stale)
			n.side[front] = initialising
		case FaultMigration:
			m.dropKeys(n, front, removed)
			m.dropKeys(n, back, removed)
			n.side = [2]uint8{initialising, initialising}
		}
		n.pending = [2]bool{true, true}
		n.faults++
		return n, "", ""
	}
	var prop, msg string
	if !slices.Contains(allowed[t.from], t.to) {
		prop, msg = PropTransition, fmt.Sprintf("the %s moves from %s to %s, which xenbus drivers never do", sideNames[t.side], pvspec.XenbusStates[t.from], pvspec.XenbusStates[t.to])
	}
	for _, r := range t.reads {
		what := ""
		switch n.keys[r.key] {
		case absent:
			if r.required {
				what = "before the " + sideNames[1-t.side] + " wrote it"
			}
		case removed:
			if r.required {
				what = "after it was removed"
			}
		case stale:
			what = "while it is stale: the " + sideNames[1-t.side] + " wrote it before it started over"
		}
		if what != "" && prop == "" {
			prop, msg = PropRead, fmt.Sprintf("the %s reads %q %s", sideNames[t.side], r.name, what)
		}
	}
	for _, k := range t.writes {
		n.keys[k] = present
	}
	if t.to == initialising && t.from != initialising {
		m.dropKeys(n, t.side, stale)
	}
	n.side[t.side] = t.to
	if t.from != t.to {
		n.pending[1-t.side] = true
	}
	if t.after >= 0 {
		n.pending[t.side] = false
	}
	return n, prop, msg
}

// dropKeys marks the present keys of a side as to (stale or removed).
func (m *model) dropKeys(s *state, side int, to uint8) {
	for i, k := range m.keys {
		if k.side == side && (s.keys[i] == present || to == removed && s.keys[i] == stale) {
			s.keys[i] = to
		}
	}
}

// ample is the transitions to explore from s: one side's enabled steps
// when they commute with everything the peer could do first, else every
// enabled transition.
func (m *model) ample(s *state, en []*trans, maxFaults int) []*trans {
	if int(s.faults) < maxFaults {
		return en
	}
	for side := range 2 {
		var mine []*trans
		ok := true
		for _, t := range en {
			if t.side != side {
				continue
			}
			mine = append(mine, t)
			ok = ok && t.local && t.after < 0 && !t.refuse && invisible(t.from) && invisible(t.to)
		}
		if ok && len(mine) > 0 && !m.peerReacts[1-side][s.side[1-side]] {
			return mine
		}
	}
	return en
}

func invisible(st uint8) bool { return st != connected && st != closing && st != closed }

// explore searches one configuration breadth-first.
func (m *model) explore(ctx context.Context, opts Options) (fails []*Failure, states, pruned int, err error) {
	init := &state{side: [2]uint8{initialising, initialising}, pending: [2]bool{true, true}, keys: make([]uint8, len(m.keys))}
	index := map[string]int32{init.encode(): 0}
	codes := []string{init.encode()}
	parent := []int32{-1}
	via := []*trans{nil}
	var preds [][]int32 // predecessors over steps (faults left out)
	preds = append(preds, nil)
	found := map[string]bool{}
	fail := func(prop, msg string, at int32, last *trans) {
		if found[prop] {
			return
		}
		found[prop] = true
		tr := m.trace(codes, parent, via, at, last)
		if last != nil {
			tr.Steps[len(tr.Steps)-1].Violation = msg
		}
		fails = append(fails, &Failure{Property: prop, Fault: tr.fault(), Message: msg, Configs: 1, Trace: tr})
	}
	var stuck []bool
	for i := 0; i < len(codes); i++ {
		if i&1023 == 0 && ctx.Err() != nil {
			return nil, len(codes), pruned, ctx.Err()
		}
		s := decode(codes[i])
		var en []*trans
		mandatory := false
		for _, t := range m.trans {
			if m.enabled(s, t, opts.Faults) {
				en = append(en, t)
				mandatory = mandatory || t.fault == "" && !t.optional
			}
		}
		stuck = append(stuck, !mandatory)
		if !mandatory && !good(s.side[front], s.side[back]) {
			fail(PropDeadlock, fmt.Sprintf("the frontend is %s and the backend %s, and neither has a step it must take", pvspec.XenbusStates[s.side[front]], pvspec.XenbusStates[s.side[back]]), int32(i), nil)
		}
		amp := m.ample(s, en, opts.Faults)
		taken := len(amp)
		for full := false; ; full = true {
			fresh := false
			for _, t := range amp {
				n, prop, msg := m.take(s, t)
				if prop != "" && !found[prop] {
					fail(prop, msg, int32(i), t)
				}
				code := n.encode()
				j, seen := index[code]
				if !seen {
					if len(codes) >= opts.MaxStates {
						return nil, len(codes), pruned, &LimitError{File: m.file(), Bound: "MaxStates", Limit: opts.MaxStates, What: fmt.Sprintf("the handshake in configuration %s", m.cfg)}
					}
					fresh = true
					j = int32(len(codes))
					index[code] = j
					codes = append(codes, code)
					parent = append(parent, int32(i))
					via = append(via, t)
					preds = append(preds, nil)
				}
				if t.fault == "" {
					preds[j] = append(preds[j], int32(i))
				}
			}
			if full || len(amp) == len(en) || fresh {
				break
			}
			// Every reduced successor was seen: expand fully (the proviso
			// that keeps a step from being put off around a cycle).
			amp = slices.DeleteFunc(slices.Clone(en), func(t *trans) bool { return slices.Contains(amp, t) })
			taken = len(en)
		}
		pruned += len(en) - taken
	}
	// Backward from the good and the cleanly closed states.
	canGood := backward(codes, preds, func(_ int, s *state) bool { return good(s.side[front], s.side[back]) })
	canClose := backward(codes, preds, func(_ int, s *state) bool { return cleanClosed(s.side[front], s.side[back]) })
	canStick := backward(codes, preds, func(i int, s *state) bool { return stuck[i] && !good(s.side[front], s.side[back]) })
	for i, code := range codes {
		s := decode(code)
		switch {
		case canStick[i] && !canGood[i]:
			// a deadlock ahead, reported as such
		case !canGood[i]:
			fail(PropProgress, fmt.Sprintf("from the frontend %s and the backend %s, both Connected or a clean Closed can no longer be reached", pvspec.XenbusStates[s.side[front]], pvspec.XenbusStates[s.side[back]]), int32(i), nil)
		case !canClose[i]:
			fail(PropTeardown, fmt.Sprintf("from the frontend %s and the backend %s, no teardown reaches a clean Closed", pvspec.XenbusStates[s.side[front]], pvspec.XenbusStates[s.side[back]]), int32(i), nil)
		}
	}
	return fails, len(codes), pruned, nil
}

// backward marks the states from which a state that satisfies goal can be
// reached.
func backward(codes []string, preds [][]int32, goal func(int, *state) bool) []bool {
	ok := make([]bool, len(codes))
	var todo []int32
	for i, c := range codes {
		if goal(i, decode(c)) {
			ok[i] = true
			todo = append(todo, int32(i))
		}
	}
	for len(todo) > 0 {
		i := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for _, p := range preds[i] {
			if !ok[p] {
				ok[p] = true
				todo = append(todo, p)
			}
		}
	}
	return ok
}

func (m *model) file() string {
	for _, t := range m.trans {
		if t.file != "" {
			return t.file
		}
	}
	return ""
}
