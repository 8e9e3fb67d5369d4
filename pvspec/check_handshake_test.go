package pvspec_test

import (
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/pvspec"
)

// A handshake the verifier could not model gets spec check findings: a
// step never reached, a side that never connects, a phase in a cycle.
func TestCheckHandshakeShape(t *testing.T) {
	const head = "pvspec: 1\nid: t\ntitle: T\nversion: 1\nconventions: {byte_order: little}\nhandshake:\n"
	for _, tc := range []struct{ name, steps, want string }{
		{"unreachable", `  - {phase: connect, side: frontend, from: Initialising, to: Connected}
  - {phase: connect, side: backend, from: Initialising, to: Connected}
  - {phase: disconnect, side: backend, from: Reconfigured, to: Closed}
`, "handshake[2]: the backend never gets to Reconfigured: no step of its leads there from Initialising [handshake-reachable]"},
		{"never connects", `  - {phase: connect, side: frontend, from: Initialising, to: Connected}
  - {phase: connect, side: backend, from: Initialising, to: InitWait}
`, "handshake: no connect step brings the backend to Connected [handshake-reachable]"},
		{"cycle", `  - {phase: connect, side: frontend, from: Initialising, to: Connected}
  - {phase: connect, side: backend, from: Initialising, to: InitWait}
  - {phase: connect, side: backend, from: InitWait, to: Initialising}
  - {phase: connect, side: backend, from: Initialising, to: Connected}
`, "the backend's connect steps go round in a cycle through Initialising: a phase moves one way [handshake-cycle]"},
	} {
		s, err := pvspec.Decode("t.yaml", []byte(head+tc.steps))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range pvspec.Check(s) {
			got = append(got, f.String())
		}
		if !strings.Contains(strings.Join(got, "\n"), tc.want) {
			t.Errorf("%s: findings\n%s\nwant %s", tc.name, strings.Join(got, "\n"), tc.want)
		}
	}
}
