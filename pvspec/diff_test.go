package pvspec_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/pvspec"
)

// edit is a text replacement in the toy spec.
type edit struct{ from, to string }

func apply(t *testing.T, text string, edits []edit) string {
	t.Helper()
	for _, e := range edits {
		if strings.Count(text, e.from) != 1 {
			t.Fatalf("the toy spec must hold %q exactly once", e.from)
		}
		text = strings.Replace(text, e.from, e.to, 1)
	}
	return text
}

// bump makes the new spec protocol version 2, still offering version 1.
var bump = []edit{{"version: 1\nstage", "version: 2\nstage"}, {"offered: [1]", "offered: [1, 2]"}}

// and joins edit lists.
func and(lists ...[]edit) []edit { return slices.Concat(lists...) }

func TestDiffIdentical(t *testing.T) {
	s := decode(t, load(t))
	if c := pvspec.Diff(s, s); len(c) != 0 {
		t.Fatalf("a spec differs from itself: %v", c)
	}
}

func decode(t *testing.T, text string) *pvspec.Spec {
	t.Helper()
	s, err := pvspec.Decode("toy.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDiffRules gives every rule an incompatible and a compatible (or
// less severe) example: the change, the finding expected with its
// severity, and the verdict for a production protocol.
func TestDiffRules(t *testing.T) {
	type want struct {
		rule     string
		severity pvspec.Severity
		verdict  pvspec.Verdict
	}
	// Each case exercises the rules its finding names, and also the rules
	// listed in also (for changes a rule must let through).
	cases := []struct {
		name     string
		old, new []edit
		want     want
		also     []string
	}{
		{"byte order flipped", nil, []edit{{"byte_order: little", "byte_order: big"}}, want{"wire-byte-order", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"title reworded", nil, []edit{{"title: Toy interface", "title: The toy interface"}}, want{"", "", pvspec.Compatible}, []string{"wire-byte-order"}},

		{"response grows", nil, []edit{{"  - name: response\n    size: 24", "  - name: response\n    size: 32"}, {"{name: pad, at: 10, type: bytes, size: 6, reserved: true}", "{name: pad, at: 10, type: bytes, size: 14, reserved: true}"}, {"{name: req, at: 16, type: u64}", "{name: req, at: 24, type: u64}"}}, want{"wire-size", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"response grows in version 2", nil, and(bump, []edit{{"  - name: response\n    size: 24", "  - name: response\n    size: 32"}, {"{name: pad, at: 10, type: bytes, size: 6, reserved: true}", "{name: pad, at: 10, type: bytes, size: 14, reserved: true}"}, {"{name: req, at: 16, type: u64}", "{name: req, at: 24, type: u64}"}}), want{"wire-size", pvspec.Gated, pvspec.Compatible}, nil},

		{"fields swapped", nil, []edit{{"      - {name: id, at: 0, type: u64}\n      - {name: status", "      - {name: id, at: 16, type: u64}\n      - {name: status"}, {"{name: req, at: 16, type: u64}", "{name: req, at: 0, type: u64}"}}, want{"wire-offset", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"fields swapped in version 2", nil, and(bump, []edit{{"      - {name: id, at: 0, type: u64}\n      - {name: status", "      - {name: id, at: 16, type: u64}\n      - {name: status"}, {"{name: req, at: 16, type: u64}", "{name: req, at: 0, type: u64}"}}), want{"wire-offset", pvspec.Gated, pvspec.Compatible}, nil},

		{"status widened", nil, []edit{{"  - name: status\n    base: s16", "  - name: status\n    base: s32"}, {"{name: pad, at: 10, type: bytes, size: 6, reserved: true}", "{name: pad, at: 12, type: bytes, size: 4, reserved: true}"}}, want{"wire-width", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"status widened in version 2", nil, and(bump, []edit{{"  - name: status\n    base: s16", "  - name: status\n    base: s32"}, {"{name: pad, at: 10, type: bytes, size: 6, reserved: true}", "{name: pad, at: 12, type: bytes, size: 4, reserved: true}"}}), want{"wire-width", pvspec.Gated, pvspec.Compatible}, nil},

		{"req made signed", nil, []edit{{"{name: req, at: 16, type: u64}", "{name: req, at: 16, type: s64}"}}, want{"wire-signedness", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"req given a named type", nil, []edit{{"types:\n", "types:\n  - {name: cookie, base: u64}\n"}, {"{name: req, at: 16, type: u64}", "{name: req, at: 16, type: cookie}"}}, want{"wire-type", pvspec.Source, pvspec.Compatible}, []string{"wire-signedness"}},

		{"req removed", nil, []edit{{"      - {name: req, at: 16, type: u64}\n", ""}}, want{"wire-removed", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"req made reserved", nil, []edit{{"{name: req, at: 16, type: u64}", "{name: req, at: 16, type: bytes, size: 8, reserved: true}"}}, want{"wire-removed", pvspec.Review, pvspec.NeedsReview}, nil},

		{"req's bytes reused", nil, []edit{{"{name: req, at: 16, type: u64}", "{name: lo, at: 16, type: u32}\n      - {name: hi, at: 20, type: u32}"}}, want{"wire-reuse", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"req renamed", nil, []edit{{"{name: req, at: 16, type: u64}", "{name: request_id, at: 16, type: u64}"}}, want{"name-rename", pvspec.Source, pvspec.Compatible}, []string{"wire-reuse"}},

		{"reserved byte becomes flags", nil, []edit{{"{name: op, at: 8, type: op}\n      - {name: pad, at: 9, type: bytes, size: 3, reserved: true}", "{name: op, at: 8, type: op}\n      - {name: flags, at: 9, type: u8}\n      - {name: pad, at: 10, type: bytes, size: 2, reserved: true}"}}, want{"wire-reserved", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"reserved byte becomes flags, zero is old", nil, []edit{{"{name: op, at: 8, type: op}\n      - {name: pad, at: 9, type: bytes, size: 3, reserved: true}", "{name: op, at: 8, type: op}\n      - {name: flags, at: 9, type: u8, zero_is_old: true}\n      - {name: pad, at: 10, type: bytes, size: 2, reserved: true}"}}, want{"wire-reserved", pvspec.None, pvspec.Compatible}, nil},
		{"reserved byte becomes flags in version 2", nil, and(bump, []edit{{"{name: op, at: 8, type: op}\n      - {name: pad, at: 9, type: bytes, size: 3, reserved: true}", "{name: op, at: 8, type: op}\n      - {name: flags, at: 9, type: u8, since: 2}\n      - {name: pad, at: 10, type: bytes, size: 2, reserved: true}"}}), want{"wire-reserved", pvspec.Gated, pvspec.Compatible}, nil},
		{"zero is old, but senders were not bound to zero", []edit{{"reserved: {sender: zero, receiver: ignore}", "reserved: {sender: any, receiver: ignore}"}}, []edit{{"reserved: {sender: zero, receiver: ignore}", "reserved: {sender: any, receiver: ignore}"}, {"{name: op, at: 8, type: op}\n      - {name: pad, at: 9, type: bytes, size: 3, reserved: true}", "{name: op, at: 8, type: op}\n      - {name: flags, at: 9, type: u8, zero_is_old: true}\n      - {name: pad, at: 10, type: bytes, size: 2, reserved: true}"}}, want{"wire-reserved", pvspec.Breaking, pvspec.Incompatible}, nil},

		{"a body outgrows the union", nil, []edit{{"    size: 4\n    writer: frontend\n    fields:\n      - {name: handle, at: 0, type: u32}", "    size: 20\n    writer: frontend\n    fields:\n      - {name: handle, at: 0, type: u32}\n      - {name: more, at: 4, type: bytes, size: 16}"}}, want{"wire-variant", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"a new command's body fits", nil, and(bump, []edit{{"      - {name: sync, value: 2}\n", "      - {name: sync, value: 2}\n      - {name: flush, value: 3, since: 2}\n"}, {"          - {name: sync, when: [sync]}\n", "          - {name: sync, when: [sync]}\n          - {name: flush, when: [flush], type: close_body, since: 2}\n"}}), want{"enum-new-frontend", pvspec.Gated, pvspec.Compatible}, []string{"wire-variant"}},

		{"the union moves its discriminator", nil, []edit{{"        on: cmd", "        on: op2"}, {"{name: pad, at: 9, type: bytes, size: 3, reserved: true}\n      - {name: num", "{name: op2, at: 9, type: control_cmd}\n      - {name: pad, at: 10, type: bytes, size: 2, reserved: true}\n      - {name: num"}}, want{"wire-discriminator", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"the union gains a variant", nil, []edit{{"      - {name: sync, value: 2}\n", "      - {name: sync, value: 2}\n      - {name: flush, value: 3, feature: flush}\n"}, {"          - {name: sync, when: [sync]}\n", "          - {name: sync, when: [sync]}\n          - {name: flush, when: [flush]}\n"}, {"features:\n", "features:\n  - {name: flush, advertised_by: backend, key: feature-flush, default: \"0\", since: 1, gates: the flush command}\n"}, {"xenstore:\n", "xenstore:\n  - {name: feature-flush, side: backend, type: bool, default: \"0\", ready_by: InitWait, readers: [frontend]}\n"}}, want{"enum-new-frontend", pvspec.Gated, pvspec.Compatible}, []string{"wire-discriminator"}},

		{"the ring takes two pages", nil, []edit{{"pages: 1, slots: 128", "pages: 2, slots: 256"}}, want{"wire-ring", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"the ring takes two pages in version 2", nil, and(bump, []edit{{"pages: 1, slots: 128", "pages: 2, slots: 256"}}), want{"wire-ring", pvspec.Gated, pvspec.Compatible}, nil},

		{"a misaligned new field", nil, []edit{{"{name: pad, at: 10, type: bytes, size: 6, reserved: true}", "{name: extra, at: 10, type: u32, zero_is_old: true}\n      - {name: pad, at: 14, type: bytes, size: 2, reserved: true}"}}, want{"wire-arch", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"an aligned new field", nil, []edit{{"{name: pad, at: 10, type: bytes, size: 6, reserved: true}", "{name: pad, at: 10, type: bytes, size: 2, reserved: true}\n      - {name: extra, at: 12, type: u32, zero_is_old: true}"}}, want{"wire-reserved", pvspec.None, pvspec.Compatible}, []string{"wire-arch"}},

		{"write renumbered", nil, []edit{{"{name: write, value: 1}", "{name: write, value: 2}"}}, want{"enum-renumber", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"write renamed", nil, []edit{{"{name: write, value: 1}", "{name: store, value: 1}"}}, want{"name-rename", pvspec.Source, pvspec.Compatible}, []string{"enum-renumber"}},

		{"write's number reused", nil, []edit{{"{name: write, value: 1}", "{name: write, value: 2}\n      - {name: append, value: 1}"}}, want{"enum-reuse", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"a new number for a new value", nil, and(bump, []edit{{"{name: write, value: 1}", "{name: write, value: 1}\n      - {name: append, value: 2, since: 2}"}}), want{"enum-new-frontend", pvspec.Gated, pvspec.Compatible}, []string{"enum-reuse"}},

		{"write removed", nil, []edit{{"      - {name: write, value: 1}\n", ""}}, want{"enum-removed", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"a deprecated value removed", []edit{{"{name: write, value: 1}", "{name: write, value: 1, deprecated: 1}"}}, []edit{{"      - {name: write, value: 1}\n", ""}}, want{"enum-removed", pvspec.Review, pvspec.NeedsReview}, nil},

		{"a frontend may send a new op", nil, []edit{{"{name: write, value: 1}", "{name: write, value: 1}\n      - {name: trim, value: 2}"}}, want{"enum-new-frontend", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"a new op behind a new feature", nil, []edit{{"{name: write, value: 1}", "{name: write, value: 1}\n      - {name: trim, value: 2, feature: trim}"}, {"features:\n", "features:\n  - {name: trim, advertised_by: backend, key: feature-trim, default: \"0\", since: 1, gates: the trim op}\n"}, {"xenstore:\n", "xenstore:\n  - {name: feature-trim, side: backend, type: bool, default: \"0\", ready_by: InitWait, readers: [frontend]}\n"}}, want{"enum-new-frontend", pvspec.Gated, pvspec.Compatible}, nil},

		{"a backend may return a new status of a closed enum", []edit{{"    open: true\n    unknown: treat as an error\n", ""}}, []edit{{"    open: true\n    unknown: treat as an error\n", ""}, {"{name: error, value: -1}", "{name: error, value: -1}\n      - {name: again, value: -2}"}}, want{"enum-new-backend", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"a backend may return a new status of an open enum", nil, []edit{{"{name: error, value: -1}", "{name: error, value: -1}\n      - {name: again, value: -2}"}}, want{"enum-new-backend", pvspec.None, pvspec.Compatible}, nil},

		{"status closed", nil, []edit{{"    open: true\n    unknown: treat as an error\n", ""}}, want{"enum-closed", pvspec.Review, pvspec.NeedsReview}, nil},
		{"status opened", []edit{{"    open: true\n    unknown: treat as an error\n", ""}}, nil, want{"", "", pvspec.Compatible}, []string{"enum-closed"}},

		{"feature-persistent removed", nil, []edit{{"  - {name: feature-persistent, side: backend, type: bool, default: \"0\", ready_by: InitWait, readers: [frontend]}\n", ""}}, want{"xs-removed", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"a key nobody reads removed", []edit{{"xenstore:\n", "xenstore:\n  - {name: backend-note, side: backend, type: string, default: \"\\\"\\\"\", ready_by: InitWait}\n"}}, nil, want{"xs-removed", pvspec.None, pvspec.Compatible}, nil},

		{"version moved to the backend", nil, []edit{{"{name: version, side: frontend", "{name: version, side: backend"}}, want{"xs-side", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"version documented", nil, []edit{{"ready_by: Initialised, readers: [backend]}\n  - {name: ring-ref", "ready_by: Initialised, readers: [backend], doc: the chosen version}\n  - {name: ring-ref"}}, want{"", "", pvspec.Compatible}, []string{"xs-side"}},

		{"version retyped", nil, []edit{{"{name: version, side: frontend, type: uint", "{name: version, side: frontend, type: string"}}, want{"xs-type", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"version bounded", nil, []edit{{"{name: version, side: frontend, type: uint,", "{name: version, side: frontend, type: uint, min: 1,"}}, want{"", "", pvspec.Compatible}, []string{"xs-type"}},

		{"feature-persistent's default flipped", nil, []edit{{"type: bool, default: \"0\", ready_by", "type: bool, default: \"1\", ready_by"}}, want{"xs-default", pvspec.Breaking, pvspec.Incompatible}, nil},

		{"a new required key", nil, []edit{{"xenstore:\n", "xenstore:\n  - {name: ring-order, side: frontend, type: uint, required: true, ready_by: Initialised, readers: [backend]}\n"}}, want{"xs-required", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"a new optional key", nil, []edit{{"xenstore:\n", "xenstore:\n  - {name: ring-order, side: frontend, type: uint, default: \"0\", ready_by: Initialised, readers: [backend]}\n"}}, want{"xs-required", pvspec.None, pvspec.Compatible}, []string{"xs-default"}},
		{"a new required key in version 2", nil, and(bump, []edit{{"xenstore:\n", "xenstore:\n  - {name: ring-order, side: frontend, type: uint, required: true, since: 2, ready_by: Initialised, readers: [backend]}\n"}}), want{"xs-required", pvspec.Gated, pvspec.Compatible}, nil},

		{"versions published later", nil, []edit{{"{name: versions, side: backend, type: list, required: true, ready_by: InitWait", "{name: versions, side: backend, type: list, required: true, ready_by: Connected"}}, want{"xs-later", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"version published earlier", nil, []edit{{"{name: version, side: frontend, type: uint, required: true, ready_by: Initialised", "{name: version, side: frontend, type: uint, required: true, ready_by: InitWait"}}, want{"", "", pvspec.Compatible}, []string{"xs-later"}},

		{"a new mandatory step", nil, []edit{{"handshake:\n", "handshake:\n  - {phase: reconfigure, side: frontend, from: Connected, to: Reconfiguring, does: asks for a bigger ring}\n"}}, want{"hs-new-step", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"a new optional step", nil, []edit{{"handshake:\n", "handshake:\n  - {phase: reconfigure, side: frontend, from: Connected, to: Reconfiguring, optional: true, does: asks for a bigger ring}\n"}}, want{"", "", pvspec.Compatible}, []string{"hs-new-step"}},

		{"version 1 no longer offered", nil, []edit{{"version: 1\nstage", "version: 2\nstage"}, {"offered: [1]", "offered: [2]"}}, want{"ver-dropped", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"version 2 offered beside 1", nil, bump, want{"", "", pvspec.Compatible}, []string{"ver-dropped"}},

		{"the choice key renamed", nil, []edit{{"choice_key: version", "choice_key: protocol-version"}}, want{"ver-negotiation", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"versioning documented", nil, []edit{{"  offered: [1]\n", "  offered: [1]\n  doc: one version so far\n"}}, want{"", "", pvspec.Compatible}, []string{"ver-negotiation"}},

		{"persistent's default flipped", nil, []edit{{"key: feature-persistent, default: \"0\"", "key: feature-persistent, default: \"1\""}}, want{"feature-meaning", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"persistent described anew", nil, []edit{{"gates: grants may stay mapped between requests", "gates: grants stay mapped until the backend runs short"}}, want{"feature-meaning", pvspec.Review, pvspec.NeedsReview}, nil},

		{"close_body removed", nil, []edit{{"          - {name: close, when: [close], type: close_body}\n", "          - {name: close, when: [close]}\n"}, {"  - name: close_body\n    size: 4\n    writer: frontend\n    fields:\n      - {name: handle, at: 0, type: u32}\n", ""}}, want{"wire-struct-removed", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"close_body renamed", nil, []edit{{"type: close_body}", "type: shut_body}"}, {"  - name: close_body\n", "  - name: shut_body\n"}}, want{"name-rename", pvspec.Source, pvspec.Compatible}, []string{"wire-struct-removed"}},
		{"a new struct", nil, []edit{{"structs:\n", "structs:\n  - name: sync_body\n    size: 8\n    writer: frontend\n    fields:\n      - {name: barrier, at: 0, type: u64}\n"}}, want{"wire-added", pvspec.None, pvspec.Compatible}, nil},
		{"a new shared page", nil, []edit{{"shared:\n", "shared:\n  - {name: stats, kind: page, struct: response, allocated_by: backend, grant_key: stats-ref}\n"}}, want{"wire-added", pvspec.None, pvspec.Compatible}, nil},

		// A version number gates a change only when versions are negotiated.
		{"response grows in version 2, no negotiation", []edit{{"versioning:\n  offered_by: backend\n  offer_key: versions\n  chosen_by: frontend\n  choice_key: version\n  offered: [1]\n", ""}}, []edit{{"versioning:\n  offered_by: backend\n  offer_key: versions\n  chosen_by: frontend\n  choice_key: version\n  offered: [1]\n", ""}, {"version: 1\nstage", "version: 2\nstage"}, {"  - name: response\n    size: 24", "  - name: response\n    size: 32"}, {"{name: pad, at: 10, type: bytes, size: 6, reserved: true}", "{name: pad, at: 10, type: bytes, size: 14, reserved: true}"}, {"{name: req, at: 16, type: u64}", "{name: req, at: 24, type: u64}"}}, want{"wire-size", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"a new op in version 2, no negotiation", []edit{{"versioning:\n  offered_by: backend\n  offer_key: versions\n  chosen_by: frontend\n  choice_key: version\n  offered: [1]\n", ""}}, []edit{{"versioning:\n  offered_by: backend\n  offer_key: versions\n  chosen_by: frontend\n  choice_key: version\n  offered: [1]\n", ""}, {"version: 1\nstage", "version: 2\nstage"}, {"{name: write, value: 1}", "{name: write, value: 1}\n      - {name: append, value: 2, since: 2}"}}, want{"enum-new-frontend", pvspec.Breaking, pvspec.Incompatible}, nil},

		// A union that grows is one change with one severity.
		{"the union grows in version 2", nil, and(bump, []edit{{"  - name: control\n    size: 32", "  - name: control\n    size: 40"}, {"        size: 16\n        on: cmd", "        size: 24\n        on: cmd"}, {"{name: grefs, at: 32,", "{name: grefs, at: 40,"}, {"    size: 4\n    writer: frontend\n    fields:\n      - {name: handle, at: 0, type: u32}", "    size: 20\n    writer: frontend\n    fields:\n      - {name: handle, at: 0, type: u32}\n      - {name: more, at: 4, type: bytes, size: 16, since: 2}"}}), want{"wire-width", pvspec.Gated, pvspec.Compatible}, []string{"wire-discriminator", "wire-variant"}},
		{"the union grows", nil, []edit{{"  - name: control\n    size: 32", "  - name: control\n    size: 40"}, {"        size: 16\n        on: cmd", "        size: 24\n        on: cmd"}, {"{name: grefs, at: 32,", "{name: grefs, at: 40,"}}, want{"wire-width", pvspec.Breaking, pvspec.Incompatible}, nil},

		// Xen's XEN_FLEX_ARRAY_DIM: gref[1] became gref[], the same bytes.
		{"a trailing array declared flexible", []edit{{"  - name: control\n    size: 32", "  - name: control\n    size: 36"}, {"{name: grefs, at: 32, type: grant_ref, length: num,", "{name: grefs, at: 32, type: grant_ref,"}}, nil, want{"wire-width", pvspec.None, pvspec.Compatible}, []string{"wire-size"}},
		// A shared page's layout grows into the page's unused tail.
		{"a page's layout grows into its tail", []edit{{"shared:\n", "shared:\n  - {name: stats, kind: page, struct: stats_page, allocated_by: backend}\n"}, {"structs:\n", "structs:\n  - name: stats_page\n    size: 8\n    writer: backend\n    fields:\n      - {name: requests, at: 0, type: u64}\n"}}, []edit{{"shared:\n", "shared:\n  - {name: stats, kind: page, struct: stats_page, allocated_by: backend}\n"}, {"structs:\n", "structs:\n  - name: stats_page\n    size: 16\n    writer: backend\n    fields:\n      - {name: requests, at: 0, type: u64}\n      - {name: errors, at: 8, type: u64}\n"}}, want{"wire-reserved", pvspec.Review, pvspec.NeedsReview}, []string{"wire-size"}},
		{"the ring removed", nil, []edit{{"  - {name: ring, kind: ring, request: request, response: response, pages: 1, slots: 128, allocated_by: frontend, grant_key: ring-ref, event_key: event-channel}\n", ""}}, want{"wire-ring", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"the ring renamed", nil, []edit{{"{name: ring, kind: ring,", "{name: requests, kind: ring,"}}, want{"name-rename", pvspec.Source, pvspec.Compatible}, []string{"wire-ring"}},
		{"a default stated where none was", []edit{{"xenstore:\n", "xenstore:\n  - {name: label, side: backend, type: string, ready_by: InitWait}\n"}}, []edit{{"xenstore:\n", "xenstore:\n  - {name: label, side: backend, type: string, default: none, ready_by: InitWait}\n"}}, want{"xs-default", pvspec.Review, pvspec.NeedsReview}, nil},

		{"a new value of an enum no field uses", []edit{{"{name: op, at: 8, type: op}", "{name: op, at: 8, type: u8}"}}, []edit{{"{name: op, at: 8, type: op}", "{name: op, at: 8, type: u8}"}, {"{name: write, value: 1}", "{name: write, value: 1}\n      - {name: trim, value: 2}"}}, want{"enum-new-frontend", pvspec.Review, pvspec.NeedsReview}, nil},

		{"opaque bytes become a union", []edit{{"      - name: body\n        at: 16\n        type: union\n        size: 16\n        on: cmd\n        variants:\n          - {name: open, when: [open], type: open_body}\n          - {name: close, when: [close], type: close_body}\n          - {name: sync, when: [sync]}\n", "      - {name: body, at: 16, type: bytes, size: 16}\n"}}, nil, want{"wire-discriminator", pvspec.Review, pvspec.NeedsReview}, nil},

		{"persistent withdrawn", nil, []edit{{"  - {name: persistent, advertised_by: backend, key: feature-persistent, default: \"0\", since: 1, gates: grants may stay mapped between requests}\n", ""}}, want{"feature-removed", pvspec.Breaking, pvspec.Incompatible}, nil},
		{"a new feature", nil, []edit{{"features:\n", "features:\n  - {name: trim, advertised_by: backend, key: feature-trim, default: \"0\", since: 1, gates: the trim op}\n"}, {"xenstore:\n", "xenstore:\n  - {name: feature-trim, side: backend, type: bool, default: \"0\", ready_by: InitWait, readers: [frontend]}\n"}}, want{"feature-added", pvspec.None, pvspec.Compatible}, []string{"feature-removed"}},
	}
	breaking, passing := map[string]bool{}, map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := load(t)
			old, new := decode(t, apply(t, text, c.old)), decode(t, apply(t, text, c.new))
			old.Stage, new.Stage = "production", "production"
			changes := pvspec.Diff(old, new)
			if c.want.rule == "" {
				for _, ch := range changes {
					if ch.Severity == pvspec.Breaking || ch.Severity == pvspec.Review {
						t.Errorf("unexpected %v", ch)
					}
				}
			} else if !slices.ContainsFunc(changes, func(ch pvspec.Change) bool {
				return ch.Rule == c.want.rule && ch.Severity == c.want.severity
			}) {
				t.Errorf("want %s %s; got %v", c.want.severity, c.want.rule, changes)
			}
			// One change, one severity: the rules that judge a path agree.
			judged := map[string]pvspec.Severity{}
			for _, ch := range changes {
				if ch.Severity == pvspec.Source || ch.Severity == pvspec.None {
					continue
				}
				if sev, ok := judged[ch.Path]; ok && sev != ch.Severity {
					t.Errorf("%s is judged both %s and %s", ch.Path, sev, ch.Severity)
				}
				judged[ch.Path] = ch.Severity
			}
			if got := pvspec.Judge(changes, "production"); got != c.want.verdict {
				t.Errorf("verdict %s, want %s; changes: %v", got, c.want.verdict, changes)
			}
		})
		for _, r := range append([]string{c.want.rule}, c.also...) {
			if c.want.verdict == pvspec.Incompatible && r == c.want.rule {
				breaking[r] = true
			} else {
				passing[r] = true
			}
		}
	}
	// Every rule has an example of its worst finding and one it lets
	// through or judges milder.
	for _, r := range pvspec.Rules {
		if !breaking[r.ID] && r.Worst == pvspec.Breaking {
			t.Errorf("rule %s has no incompatible example", r.ID)
		}
		if !passing[r.ID] {
			t.Errorf("rule %s has no compatible or milder example", r.ID)
		}
	}
}
