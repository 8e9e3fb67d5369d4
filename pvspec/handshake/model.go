package handshake

import (
	"fmt"
	"slices"

	"github.com/xen-pvczar/pvczar/pvspec"
)

// The XenbusState values, as pvspec numbers them.
const (
	unknown uint8 = iota
	initialising
	initWait
	initialised
	connected
	closing
	closed
	reconfiguring
	reconfigured
)

// allowed is the moves a xenbus driver makes, from each state: up the
// connect ladder, where a side may skip InitWait or Initialised (the
// frontend of a protocol without negotiation goes from Initialising
// straight to Initialised, or Connected, and a backend may skip InitWait);
// to Closing from any live state (an error or an unplug); Closing to
// Closed; a driver reconnecting from Closed (the frontend to Initialising,
// the backend back to InitWait) or the device going away (Unknown); and
// the reconfigure cycle, which returns to Connected, or to Initialising
// when the device has to be set up again.
var allowed = map[uint8][]uint8{
	unknown:       {initialising},
	initialising:  {initWait, initialised, connected, closing},
	initWait:      {initialised, connected, closing},
	initialised:   {connected, closing},
	connected:     {closing, closed, reconfiguring},
	closing:       {closed},
	closed:        {initialising, initWait, unknown},
	reconfiguring: {reconfigured, initialising, closing},
	reconfigured:  {connected, closing},
}

// Allowed tells whether a xenbus driver may move from one XenbusState to
// another, by their names.
func Allowed(from, to string) bool {
	f, t := slices.Index(pvspec.XenbusStates, from), slices.Index(pvspec.XenbusStates, to)
	return f >= 0 && t >= 0 && slices.Contains(allowed[uint8(f)], uint8(t))
}

// reached tells whether a peer in state peer has reached state after.
func reached(peer, after uint8) bool {
	ladder := func(s uint8) bool { return s >= initialising && s <= connected }
	return peer == after || ladder(peer) && ladder(after) && peer > after || after == closing && peer == closed
}

// good is both sides Connected, or a clean Closed.
func good(f, b uint8) bool { return f == connected && b == connected || cleanClosed(f, b) }

// cleanClosed is one side Closed and the other Closing or Closed.
func cleanClosed(f, b uint8) bool {
	done := func(s uint8) bool { return s == closing || s == closed }
	return f == closed && done(b) || b == closed && done(f)
}

// The sides of a run.
const (
	front = 0
	back  = 1
)

var sideNames = [2]string{"frontend", "backend"}

// The faults.
const (
	FaultBackendRestart = "backend-restart"
	FaultFrontendResume = "frontend-resume"
	FaultMigration      = "migration"
)

// read is one key a step reads.
type read struct {
	name     string
	key      int  // the key's index in the state
	required bool // the reader has no default for it
}

// trans is a transition of a run: a step of one side, or a fault.
type trans struct {
	side     int
	fault    string
	step     *pvspec.Step
	file     string
	from, to uint8
	after    int // -1 when spontaneous
	optional bool
	refuse   bool // the chooser's step replaced by a refusal
	reads    []read
	writes   []int
	local    bool // touches no key the peer reads or writes
}

// model is one configuration, ready to explore.
type model struct {
	cfg    Config
	keys   []keyName
	trans  []*trans
	bySide [2][]*trans
	// peerReacts[s][state]: side s, from state, can get to a step that
	// waits for the peer using its own steps.
	peerReacts [2][9]bool
}

// keyName is a key in the state: its writer and name.
type keyName struct {
	side int
	name string
}

// Config is one combination the verifier explores: which spec each side
// follows, the version in play and each feature on or off per side.
type Config struct {
	Frontend string           `json:"frontend"` // "new" or "old"
	Backend  string           `json:"backend"`
	Version  int              `json:"version"` // 0 when the sides have no version in common
	Features []FeatureSetting `json:"features,omitempty"`
}

// FeatureSetting is one feature on or off on each side.
type FeatureSetting struct {
	Name      string `json:"name"`
	Frontend  bool   `json:"frontend"`
	Backend   bool   `json:"backend"`
	Toolstack bool   `json:"toolstack"`
}

func (c Config) String() string {
	s := fmt.Sprintf("%s frontend, %s backend, version %d", c.Frontend, c.Backend, c.Version)
	for _, f := range c.Features {
		onOff := func(b bool) string {
			if b {
				return "on"
			}
			return "off"
		}
		s += fmt.Sprintf(", %s %s/%s", f.Name, onOff(f.Frontend), onOff(f.Backend))
		if f.Toolstack {
			s += "/toolstack"
		}
	}
	return s
}

// setting is the feature's setting in the configuration; features the
// handshake does not depend on are on everywhere.
func (c Config) setting(name string) FeatureSetting {
	for _, f := range c.Features {
		if f.Name == name {
			return f
		}
	}
	return FeatureSetting{Name: name, Frontend: true, Backend: true, Toolstack: true}
}

// on tells whether a side has a feature on.
func (c Config) on(name string, side int) bool {
	f := c.setting(name)
	return side == front && f.Frontend || side == back && f.Backend
}

// negotiated tells whether a feature is in use: on on both sides, and in
// the toolstack when the toolstack advertises it.
func (c Config) negotiated(s *pvspec.Spec, name string) bool {
	f := c.setting(name)
	return f.Frontend && f.Backend && (advertiser(s, name) != "toolstack" || f.Toolstack)
}

func advertiser(s *pvspec.Spec, name string) string {
	for _, f := range s.Features {
		if f.Name == name {
			return f.AdvertisedBy
		}
	}
	return ""
}

func findKey(s *pvspec.Spec, side, name string) *pvspec.Key {
	for _, k := range s.Xenstore {
		if k.Side == side && k.Name == name {
			return k
		}
	}
	return nil
}

// stateOf finds a XenbusState by name, or reports the step's field.
func stateOf(s *pvspec.Spec, st *pvspec.Step, i int, field, name string) (uint8, error) {
	n := slices.Index(pvspec.XenbusStates, name)
	if n < 0 {
		return 0, &pvspec.Error{File: s.File, Pos: st.Pos, Msg: fmt.Sprintf("handshake[%d].%s: %q is not a XenbusState", i, field, name)}
	}
	return uint8(n), nil
}

// build makes the transitions of one configuration: the frontend follows
// specs[front], the backend specs[back].
func build(specs [2]*pvspec.Spec, cfg Config, faults bool) (*model, error) {
	m := &model{cfg: cfg}
	index := map[keyName]int{}
	keyOf := func(side int, name string) int {
		k := keyName{side, name}
		if i, ok := index[k]; ok {
			return i
		}
		index[k] = len(m.keys)
		m.keys = append(m.keys, k)
		return index[k]
	}
	activeKey := func(s *pvspec.Spec, k *pvspec.Key, side int) bool {
		if k.Since > cfg.Version || k.Deprecated != 0 && k.Deprecated <= cfg.Version {
			return false
		}
		if k.Feature == "" {
			return true
		}
		if advertiser(s, k.Feature) == sideNames[side] {
			return cfg.on(k.Feature, side)
		}
		return cfg.negotiated(s, k.Feature)
	}
	for side, s := range specs {
		peer := sideNames[1-side]
		for i, st := range s.Handshake {
			if st.Side != sideNames[side] {
				if st.Side != sideNames[1-side] {
					return nil, &pvspec.Error{File: s.File, Pos: st.Pos, Msg: fmt.Sprintf("handshake[%d].side: %q is not frontend or backend", i, st.Side)}
				}
				continue
			}
			if st.Since > cfg.Version || st.Feature != "" && !cfg.negotiated(s, st.Feature) {
				continue
			}
			t := &trans{side: side, step: st, file: s.File, after: -1, optional: st.Optional}
			var err error
			if t.from, err = stateOf(s, st, i, "from", st.From); err != nil {
				return nil, err
			}
			if t.to, err = stateOf(s, st, i, "to", st.To); err != nil {
				return nil, err
			}
			if st.After != "" {
				a, err := stateOf(s, st, i, "after", st.After)
				if err != nil {
					return nil, err
				}
				t.after = int(a)
			}
			v := s.Versioning
			if cfg.Version == 0 && v.ChosenBy == st.Side && slices.Contains(st.Reads, v.OfferKey) {
				t.refuse, t.to = true, closing
			}
			for _, name := range st.Reads {
				k := findKey(s, peer, name)
				if k == nil || t.refuse && name != v.OfferKey {
					continue // the toolstack's, always there; or not a key (spec check says so)
				}
				if k.Since > cfg.Version || k.Deprecated != 0 && k.Deprecated <= cfg.Version || k.Feature != "" && !cfg.on(k.Feature, side) {
					continue // the reader does not look for it
				}
				t.reads = append(t.reads, read{name: name, key: keyOf(1-side, name), required: k.Default == ""})
			}
			if !t.refuse {
				for _, name := range st.Writes {
					if k := findKey(s, sideNames[side], name); k != nil && activeKey(s, k, side) {
						t.writes = append(t.writes, keyOf(side, name))
					}
				}
			}
			m.trans = append(m.trans, t)
		}
	}
	if faults {
		m.trans = append(m.trans,
			&trans{side: back, fault: FaultBackendRestart, after: -1, to: initialising},
			&trans{side: front, fault: FaultFrontendResume, after: -1, from: connected, to: initialising},
			&trans{side: front, fault: FaultMigration, after: -1, from: connected, to: initialising},
		)
	}
	for _, t := range m.trans {
		m.bySide[t.side] = append(m.bySide[t.side], t)
	}
	m.independence()
	return m, nil
}

// independence marks the steps that touch no key the peer's steps use,
// and, for each side and state, whether the side's own steps can take it
// to a reaction to the peer.
func (m *model) independence() {
	var uses [2]map[int]bool // keys each side's steps read or write
	var writes [2]map[int]bool
	for s := range 2 {
		uses[s], writes[s] = map[int]bool{}, map[int]bool{}
		for _, t := range m.bySide[s] {
			for _, r := range t.reads {
				uses[s][r.key] = true
			}
			for _, k := range t.writes {
				uses[s][k], writes[s][k] = true, true
			}
		}
	}
	for _, t := range m.trans {
		if t.fault != "" {
			continue
		}
		t.local = true
		for _, k := range t.writes {
			t.local = t.local && !uses[1-t.side][k]
		}
		for _, r := range t.reads {
			t.local = t.local && !writes[1-t.side][r.key]
		}
	}
	for s := range 2 {
		for from := range uint8(9) {
			seen := map[uint8]bool{from: true}
			todo := []uint8{from}
			for len(todo) > 0 {
				at := todo[0]
				todo = todo[1:]
				for _, t := range m.bySide[s] {
					if t.fault != "" || t.from != at {
						continue
					}
					if t.after >= 0 {
						m.peerReacts[s][from] = true
					}
					if !seen[t.to] {
						seen[t.to] = true
						todo = append(todo, t.to)
					}
				}
			}
		}
	}
}
