// Package handshake model-checks the XenbusState handshake of a pvspec:
// it treats the spec's handshake steps as two concurrent processes, a
// frontend and a backend, over a model of xenstore, and explores every
// interleaving breadth-first, so that the first counterexample found for a
// property is a shortest one.
//
// # The model
//
// A state holds each side's XenbusState, whether each side has a watch
// event pending (its watch on the peer's state node fired and it has not
// reacted yet), the state of every key a side writes (absent, present,
// stale: written before its writer started over, or removed), and how many
// faults have happened. The versions and features in play are fixed for a
// run: Verify explores one run per configuration.
//
// A step of the spec is enabled when it is active in the configuration
// (its since and feature), its side is in its from state, and, when it has
// an after state, the side has a watch event pending and the peer has
// reached that state. "Reached" means the peer is in that state or has
// gone past it on the way up (Initialising, InitWait, Initialised,
// Connected) or from Closing to Closed. A step with no after state is
// spontaneous: the side takes it on its own. Taking a step reads its keys
// (a required key that is not present, or any key that is stale, is a
// violation: drivers react to the peer's state and then read, they do not
// wait for keys), writes its keys, moves the side, fires the peer's watch
// and consumes the side's own event if the step was a reaction to one.
//
// Faults are transitions too, at most Options.Faults of them in a run:
//   - backend restart: the backend's keys are removed and a new backend
//     starts in Initialising;
//   - frontend resume: after a suspend, the frontend starts over in
//     Initialising, its keys left in xenstore but stale until rewritten;
//   - migration: at the destination both directories are created anew
//     (every key but the toolstack's removed) and both sides start over in
//     Initialising.
//
// # Properties
//
//   - deadlock: no reachable state where no mandatory step is enabled and
//     the two sides are neither both Connected nor cleanly Closed (one side
//     Closed, the other Closing or Closed);
//   - progress: from every reachable state, without further faults, both
//     Connected or a clean Closed can still be reached (no livelock; a state
//     whose only future is a deadlock is reported as the deadlock);
//   - read: no key is read before it is written, after it is removed, or
//     while it is stale;
//   - transition: every state change is one that xenbus drivers make (see
//     Allowed);
//   - teardown: from every reachable state from which both Connected can
//     be reached, a clean Closed can be reached too.
//
// # Combinations
//
// With Options.Old, each side is independently the old or the new spec's;
// each feature the handshake depends on is independently on or off on
// each side (and in the toolstack, when the toolstack advertises it). The
// version in play is the highest one both sides offer; with none in
// common, the frontend refuses: where it would read the offer it goes to
// Closing instead.
//
// # Search
//
// States are hashed; the search is breadth-first with a partial-order
// reduction: when every enabled step of one side is spontaneous, leaves
// Connected, Closing and Closed alone, touches no key the peer uses, and
// the peer can take no reaction or fault before it, only that side's steps
// are explored from the state (the peer's steps commute with them); a
// state whose reduced successors were all seen before is expanded fully.
// Options.MaxStates bounds the states of one configuration and
// Options.MaxConfigs the configurations; going over either is an error
// naming the bound.
package handshake
