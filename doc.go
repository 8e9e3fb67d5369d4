// Package pvczar is the domain of the Xen PV protocol lifecycle: protocols,
// their implementations and evidence, proposals to move a protocol to its next
// stage, the positions people take on them, and the lazy-consensus rules that
// decide when a proposal is ready.
//
// The event log is the source of truth. A [Registry] is the fold of the log;
// it is a pure function of (events, configuration, now): it performs no I/O and
// reads no clock, so every timing rule can be tested to the second. Storage,
// transports and the command line live in sub-packages and meet here through
// the [Service] interface.
package pvczar
