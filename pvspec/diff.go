package pvspec

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Severity says how bad a change is for peers upgraded independently.
type Severity string

// The severities, from the worst.
const (
	Breaking Severity = "breaking" // a peer of the other age breaks
	Gated    Severity = "gated"    // incompatible, but only behind a new version or feature
	Review   Severity = "review"   // maybe compatible: a person must judge
	Source   Severity = "source"   // the wire is the same; code using the names changes
	None     Severity = "none"     // compatible
)

// The two mixes of ages that every change is judged for.
const (
	OldFrontNewBack = "old frontend + new backend"
	NewFrontOldBack = "new frontend + old backend"
)

// Change is one finding of the compatibility checker.
type Change struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Path     string   `json:"path"`
	Reason   string   `json:"reason"`
	Breaks   []string `json:"breaks,omitempty"` // the mixes of ages that break
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Waived   string   `json:"waived,omitempty"` // the waiver's reason
}

func (c Change) String() string {
	s := fmt.Sprintf("%s:%d: %s %s: %s [%s]", c.File, c.Line, c.Severity, c.Path, c.Reason, c.Rule)
	if len(c.Breaks) > 0 {
		s += " (breaks " + strings.Join(c.Breaks, "; ") + ")"
	}
	if c.Waived != "" {
		s += " waived: " + c.Waived
	}
	return s
}

// Verdict sums up a diff.
type Verdict string

// The verdicts.
const (
	Compatible   Verdict = "compatible"    // nothing to fear, or only gated, source-only and waived changes
	NeedsReview  Verdict = "review-needed" // review findings, or breaking ones before production
	Incompatible Verdict = "breaking"      // unwaived breaking findings on a production protocol
)

// stageOfPromise is the stage from which the ABI is promised.
const stageOfPromise = "production"

// Judge gives the verdict for changes to a protocol at stage: before
// production breaking findings are warnings (no ABI promise yet), from
// production on they fail. Waived findings do not count.
func Judge(changes []Change, stage string) Verdict {
	v := Compatible
	for _, c := range changes {
		if c.Waived != "" {
			continue
		}
		switch c.Severity {
		case Breaking:
			if stage == stageOfPromise {
				return Incompatible
			}
			v = NeedsReview
		case Review:
			v = NeedsReview
		}
	}
	return v
}

// Rules lists the compatibility rules, by family, with what each guards.
// Worst is the most severe finding a rule gives.
var Rules = []struct {
	ID, Family, Guards string
	Worst              Severity
}{
	{"wire-byte-order", "wire", "the byte order never changes", Breaking},
	{"wire-size", "wire", "struct, message and slot sizes never change within a version", Breaking},
	{"wire-offset", "wire", "an existing field keeps its offset", Breaking},
	{"wire-width", "wire", "an existing field keeps its width", Breaking},
	{"wire-signedness", "wire", "an existing field keeps its signedness", Breaking},
	{"wire-type", "wire", "a field's type may change name, not representation", Source},
	{"wire-removed", "wire", "a removed field's bytes become reserved", Breaking},
	{"wire-reuse", "wire", "bytes of a removed field are never reused", Breaking},
	{"wire-reserved", "wire", "reserved bytes become a field only if senders zeroed them and zero means the old behaviour", Breaking},
	{"wire-variant", "wire", "a command's body fits the existing union", Breaking},
	{"wire-discriminator", "wire", "the discriminator and the union are frozen", Breaking},
	{"wire-ring", "wire", "a ring keeps its kind, messages, pages and slots; shared pages only grow into reserved space", Breaking},
	{"wire-arch", "wire", "no layout that differs between architectures", Breaking},
	{"enum-renumber", "enums", "a value keeps its number", Breaking},
	{"enum-reuse", "enums", "a number is never given to another value", Breaking},
	{"enum-removed", "enums", "values are not removed", Breaking},
	{"enum-new-frontend", "enums", "a new value a frontend may send is gated by a version or feature", Breaking},
	{"enum-new-backend", "enums", "a new value a backend may return needs an open enum with a defined reaction, or gating", Breaking},
	{"enum-closed", "enums", "an open enum stays open", Review},
	{"xs-removed", "xenstore", "a key the peer reads is not removed", Breaking},
	{"xs-side", "xenstore", "a key is not moved to the other side", Breaking},
	{"xs-type", "xenstore", "a key is not retyped", Breaking},
	{"xs-default", "xenstore", "a key's default does not change", Breaking},
	{"xs-required", "xenstore", "new keys are optional and absence means the old behaviour", Breaking},
	{"xs-later", "xenstore", "a key is not published later in the handshake", Breaking},
	{"hs-new-step", "handshake", "no new mandatory step for an existing version", Breaking},
	{"ver-dropped", "versions", "a backend never stops offering a version", Breaking},
	{"ver-negotiation", "versions", "the way versions are offered and chosen is frozen", Breaking},
	{"feature-meaning", "versions", "a feature's meaning never changes", Breaking},
	{"feature-removed", "versions", "features are not withdrawn", Breaking},
	{"name-rename", "names", "renames change source, not the wire", Source},
}

// differ holds the two specs being compared.
type differ struct {
	old, new *Spec
	out      []Change
}

func (d *differ) add(rule string, sev Severity, pos Pos, fromOld bool, path string, breaks []string, format string, args ...any) {
	file := d.new.File
	if fromOld {
		file = d.old.File
	}
	d.out = append(d.out, Change{Rule: rule, Severity: sev, Path: path, Reason: fmt.Sprintf(format, args...), Breaks: breaks, File: file, Line: pos.Line})
}

var both = []string{OldFrontNewBack, NewFrontOldBack}

// newer tells whether something appeared with a version or feature the
// old spec did not have, which makes an incompatible change "gated".
func (d *differ) newer(since int, feature string) bool {
	if since > d.old.Version {
		return true
	}
	if feature == "" {
		return false
	}
	return !slices.ContainsFunc(d.old.Features, func(f *Feature) bool { return f.Name == feature })
}

// bump is the severity of a wire change: gated behind a new protocol
// version, breaking within one.
func (d *differ) bump() Severity {
	if d.new.Version > d.old.Version {
		return Gated
	}
	return Breaking
}

// Diff compares two versions of a spec, for old frontend + new backend
// and new frontend + old backend, and marks the changes the new spec
// waives. Both specs should pass Check; Diff itself does not rely on it.
func Diff(old, new *Spec) []Change {
	d := &differ{old: old, new: new}
	d.conventions()
	d.enums()
	d.structs()
	d.shared()
	d.xenstore()
	d.handshake()
	d.versions()
	for i := range d.out {
		c := &d.out[i]
		for _, w := range new.Waivers {
			if w.Rule == c.Rule && w.Path == c.Path {
				c.Waived = w.Reason
			}
		}
	}
	sort.SliceStable(d.out, func(i, j int) bool { return d.out[i].Path < d.out[j].Path })
	return d.out
}

func (d *differ) conventions() {
	if d.old.Conventions.ByteOrder != d.new.Conventions.ByteOrder {
		d.add("wire-byte-order", Breaking, d.new.Conventions.Pos, false, "conventions.byte_order", both, "the byte order changed from %q to %q", d.old.Conventions.ByteOrder, d.new.Conventions.ByteOrder)
	}
	if a, b := d.old.Conventions.PageSize, d.new.Conventions.PageSize; a != b {
		d.add("wire-size", d.bump(), d.new.Conventions.Pos, false, "conventions.page_size", both, "the page size changed from %d to %d", a, b)
	}
}

// senders says which mixes break when a value that side sends is unknown
// to an old peer.
func senders(side string) []string {
	switch side {
	case "frontend":
		return []string{NewFrontOldBack}
	case "backend":
		return []string{OldFrontNewBack}
	}
	return both
}

// enumWriters tells which sides write fields of the enum.
func enumWriters(s *Spec, enum string) (front, back bool) {
	for _, st := range s.Structs {
		for _, f := range st.Fields {
			if f.Type == enum {
				front = front || st.Writer != "backend"
				back = back || st.Writer != "frontend"
			}
		}
	}
	return front, back
}

func (d *differ) enums() {
	for _, oe := range d.old.Enums {
		i := slices.IndexFunc(d.new.Enums, func(e Enum) bool { return e.Name == oe.Name })
		if i < 0 {
			continue // its fields' changes report it
		}
		ne := d.new.Enums[i]
		path := "enums." + ne.Name
		if oe.Open && !ne.Open {
			d.add("enum-closed", Review, ne.Pos, false, path, both, "the enum was open and is now closed: values old peers send may now be refused")
		}
		if oe.Base != ne.Base {
			d.add("wire-width", d.bump(), ne.Pos, false, path, both, "its base changed from %s to %s", oe.Base, ne.Base)
		}
		front, back := enumWriters(d.new, ne.Name)
		for _, ov := range oe.Values {
			j := slices.IndexFunc(ne.Values, func(v EnumValue) bool { return v.Name == ov.Name })
			if j >= 0 {
				if nv := ne.Values[j]; nv.Value != ov.Value {
					d.add("enum-renumber", Breaking, nv.Pos, false, path+"."+nv.Name, both, "%s changed from %d to %d", nv.Name, ov.Value, nv.Value)
				}
				continue
			}
			k := slices.IndexFunc(ne.Values, func(v EnumValue) bool { return v.Value == ov.Value })
			if k >= 0 && !slices.ContainsFunc(oe.Values, func(v EnumValue) bool { return v.Name == ne.Values[k].Name }) {
				d.add("name-rename", Source, ne.Values[k].Pos, false, path+"."+ne.Values[k].Name, nil, "%s is the old %s renamed: the number is the same", ne.Values[k].Name, ov.Name)
				continue
			}
			sev := Breaking
			if ov.Deprecated != 0 {
				sev = Review
			}
			d.add("enum-removed", sev, ov.Pos, true, path+"."+ov.Name, both, "%s (%d) was removed: old peers may still use it", ov.Name, ov.Value)
		}
		for _, nv := range ne.Values {
			if slices.ContainsFunc(oe.Values, func(v EnumValue) bool { return v.Name == nv.Name }) {
				continue
			}
			vpath := path + "." + nv.Name
			if k := slices.IndexFunc(oe.Values, func(v EnumValue) bool { return v.Value == nv.Value }); k >= 0 {
				if slices.ContainsFunc(ne.Values, func(v EnumValue) bool { return v.Name == oe.Values[k].Name }) {
					d.add("enum-reuse", Breaking, nv.Pos, false, vpath, both, "%d was %s and is given to %s", nv.Value, oe.Values[k].Name, nv.Name)
				}
				continue // a rename, reported above
			}
			gated := d.newer(nv.Since, nv.Feature)
			if front {
				sev := Breaking
				if gated {
					sev = Gated
				}
				d.add("enum-new-frontend", sev, nv.Pos, false, vpath, senders("frontend"), "a frontend may send the new %s, which an old backend does not know%s", nv.Name, gatedBy(gated, nv.Since, nv.Feature))
			}
			if back {
				sev := Breaking
				switch {
				case gated:
					sev = Gated
				case oe.Open && oe.Unknown != "":
					sev = None
				}
				d.add("enum-new-backend", sev, nv.Pos, false, vpath, senders("backend"), "a backend may return the new %s; an old frontend %s%s", nv.Name, reaction(oe), gatedBy(gated, nv.Since, nv.Feature))
			}
		}
	}
}

func gatedBy(gated bool, since int, feature string) string {
	switch {
	case !gated:
		return ""
	case feature != "":
		return fmt.Sprintf(" (gated by feature %s)", feature)
	}
	return fmt.Sprintf(" (gated by version %d)", since)
}

func reaction(e Enum) string {
	if e.Open && e.Unknown != "" {
		return "reacts as defined: " + e.Unknown
	}
	return "has no defined reaction to unknown values"
}

// fieldSig is what a field is on the wire.
type fieldSig struct {
	at, size int
	scalar   string // the scalar base, or the type for bytes, unions, structs
}

func (d *differ) sig(s *Spec, f *Field) fieldSig {
	at := -1
	if f.At != nil {
		at = *f.At
	}
	return fieldSig{at, s.FieldSize(f), s.base(f.Type)}
}

func (d *differ) structs() {
	for _, f := range Check(d.new) {
		if f.Rule == "alignment" {
			d.add("wire-arch", Breaking, Pos{f.Line, f.Col}, false, f.Path, both, "the layout would differ between architectures: %s", f.Msg)
		}
	}
	for _, olds := range d.old.Structs {
		i := slices.IndexFunc(d.new.Structs, func(s *Struct) bool { return s.Name == olds.Name })
		if i < 0 {
			continue // used by a field or a ring, whose changes report it
		}
		ns := d.new.Structs[i]
		path := "structs." + ns.Name
		if olds.Size != ns.Size {
			d.add("wire-size", d.bump(), ns.Pos, false, path, both, "its size changed from %d to %d", olds.Size, ns.Size)
		}
		if olds.C != ns.C && olds.C != "" {
			d.add("name-rename", Source, ns.Pos, false, path, nil, "its C tag changed from %s to %q", olds.C, ns.C)
		}
		matched := map[*Field]bool{}
		for _, of := range olds.Fields {
			fpath := path + "." + of.Name
			j := slices.IndexFunc(ns.Fields, func(f *Field) bool { return f.Name == of.Name })
			if j < 0 {
				continue
			}
			nf := ns.Fields[j]
			matched[nf] = true
			d.field(of, nf, fpath)
		}
		for _, of := range olds.Fields {
			if slices.ContainsFunc(ns.Fields, func(f *Field) bool { return f.Name == of.Name }) {
				continue
			}
			osig := d.sig(d.old, of)
			var same *Field
			for _, nf := range ns.Fields {
				if !matched[nf] && d.sig(d.new, nf) == osig && nf.Reserved == of.Reserved {
					same = nf
				}
			}
			if same != nil {
				matched[same] = true
				d.add("name-rename", Source, same.Pos, false, path+"."+same.Name, nil, "%s is the old %s renamed: same offset, width and type", same.Name, of.Name)
				continue
			}
			if of.Reserved {
				continue // reserved bytes taken by fields: judged below
			}
			if reservedOver(d, ns, osig) {
				d.add("wire-removed", Review, of.Pos, true, path+"."+of.Name, both, "%s was removed and its bytes are reserved: peers that still use it now see zero", of.Name)
			} else {
				d.add("wire-removed", Breaking, of.Pos, true, path+"."+of.Name, both, "%s was removed and its bytes %d..%d are not reserved", of.Name, osig.at, osig.at+osig.size-1)
			}
		}
		for _, nf := range ns.Fields {
			if matched[nf] || nf.Reserved {
				continue
			}
			d.newField(olds, nf, path+"."+nf.Name)
		}
	}
}

// reservedOver tells whether reserved fields of st cover the bytes of sig.
func reservedOver(d *differ, st *Struct, sig fieldSig) bool {
	covered := 0
	for _, f := range st.Fields {
		s := d.sig(d.new, f)
		if f.Reserved && s.at < sig.at+sig.size && s.at+s.size > sig.at {
			covered += min(s.at+s.size, sig.at+sig.size) - max(s.at, sig.at)
		}
	}
	return covered >= sig.size
}

// field compares one field present in both specs.
func (d *differ) field(of, nf *Field, path string) {
	a, b := d.sig(d.old, of), d.sig(d.new, nf)
	sev := d.bump()
	switch {
	case of.Reserved && nf.Reserved:
		// Reserved bytes may move and shrink: the fields that take them are judged.
	case a.at != b.at:
		d.add("wire-offset", sev, nf.Pos, false, path, both, "its offset changed from %d to %d", a.at, b.at)
	case a.size != b.size:
		d.add("wire-width", sev, nf.Pos, false, path, both, "its width changed from %d to %d bytes", a.size, b.size)
	case a.scalar != b.scalar && scalarSizes[a.scalar] > 0 && scalarSizes[b.scalar] > 0:
		d.add("wire-signedness", sev, nf.Pos, false, path, both, "its type changed from %s to %s", a.scalar, b.scalar)
	case of.Type != nf.Type && (of.Type == "union") != (nf.Type == "union"):
		d.add("wire-discriminator", Breaking, nf.Pos, false, path, both, "it changed from %s to %s", of.Type, nf.Type)
	case of.Type != nf.Type:
		d.add("wire-type", Source, nf.Pos, false, path, nil, "its type is now called %s instead of %s; the representation is the same", nf.Type, of.Type)
	}
	if of.Reserved && !nf.Reserved {
		d.reservedTaken(nf, path)
	}
	if !of.Reserved && nf.Reserved {
		d.add("wire-removed", Review, nf.Pos, false, path, both, "%s is now reserved: peers that still use it now see zero", nf.Name)
	}
	if of.Type == "union" && nf.Type == "union" {
		d.union(of, nf, path)
	}
}

// newField judges a field that takes bytes the old struct had reserved or
// had given to a removed field.
func (d *differ) newField(olds *Struct, nf *Field, path string) {
	b := d.sig(d.new, nf)
	reservedBytes, fieldBytes := 0, 0
	for _, of := range olds.Fields {
		a := d.sig(d.old, of)
		if a.at < b.at+b.size && a.at+a.size > b.at {
			n := min(a.at+a.size, b.at+b.size) - max(a.at, b.at)
			if of.Reserved {
				reservedBytes += n
			} else {
				fieldBytes += n
			}
		}
	}
	switch {
	case fieldBytes > 0:
		d.add("wire-reuse", Breaking, nf.Pos, false, path, both, "%s takes bytes of a removed field: old peers read them as that field", nf.Name)
	case reservedBytes > 0:
		d.reservedTaken(nf, path)
	}
}

// reservedTaken judges a field over formerly reserved bytes.
func (d *differ) reservedTaken(nf *Field, path string) {
	senderZeroes := d.old.Conventions.Reserved.Sender == "zero"
	switch {
	case senderZeroes && nf.ZeroIsOld:
		d.add("wire-reserved", None, nf.Pos, false, path, nil, "%s takes reserved bytes that senders zeroed, and zero means the old behaviour", nf.Name)
	case d.newer(nf.Since, nf.Feature):
		d.add("wire-reserved", Gated, nf.Pos, false, path, both, "%s takes reserved bytes%s", nf.Name, gatedBy(true, nf.Since, nf.Feature))
	case !senderZeroes:
		d.add("wire-reserved", Breaking, nf.Pos, false, path, both, "%s takes reserved bytes, but old senders were not bound to zero them", nf.Name)
	default:
		d.add("wire-reserved", Breaking, nf.Pos, false, path, both, "%s takes reserved bytes, and zero is not declared to mean the old behaviour (zero_is_old)", nf.Name)
	}
}

// union compares a union's discriminator and variants.
func (d *differ) union(of, nf *Field, path string) {
	if of.On != nf.On || of.Size != nf.Size {
		d.add("wire-discriminator", Breaking, nf.Pos, false, path, both, "the union's discriminator or size changed (on %s, %d bytes → on %s, %d bytes)", of.On, of.Size, nf.On, nf.Size)
	}
	for _, nv := range nf.Variants {
		if nv.Type == "" {
			continue
		}
		for _, st := range d.new.Structs {
			if st.Name == nv.Type && st.Size > of.Size {
				d.add("wire-variant", Breaking, nv.Pos, false, path+"."+nv.Name, both, "the body %s takes %d bytes; the union has %d", st.Name, st.Size, of.Size)
			}
		}
	}
}

func (d *differ) shared() {
	for _, oo := range d.old.Shared {
		path := "shared." + oo.Name
		i := slices.IndexFunc(d.new.Shared, func(o *Shared) bool { return o.Name == oo.Name })
		if i < 0 {
			d.add("wire-ring", Breaking, oo.Pos, true, path, both, "the shared object %s was removed", oo.Name)
			continue
		}
		no := d.new.Shared[i]
		switch {
		case oo.Kind != no.Kind:
			d.add("wire-ring", Breaking, no.Pos, false, path, both, "its kind changed from %s to %s", oo.Kind, no.Kind)
		case oo.Request != no.Request || oo.Response != no.Response || oo.Struct != no.Struct || oo.Event != no.Event:
			d.add("wire-ring", d.bump(), no.Pos, false, path, both, "its messages or layout struct changed")
		case max(oo.Pages, 1) != max(no.Pages, 1):
			d.add("wire-ring", d.bump(), no.Pos, false, path, both, "its pages changed from %d to %d", max(oo.Pages, 1), max(no.Pages, 1))
		case oo.GrantKey != no.GrantKey || oo.EventKey != no.EventKey || oo.AllocatedBy != no.AllocatedBy:
			d.add("wire-ring", Breaking, no.Pos, false, path, both, "who allocates it, or the keys carrying its grant and event channel, changed")
		}
		if no.Kind == "ring" && oo.Kind == "ring" {
			a, b := slotSize(d.old, oo), slotSize(d.new, no)
			if a != b {
				d.add("wire-size", d.bump(), no.Pos, false, path, both, "its slot size changed from %d to %d bytes, so the slot count and every index do", a, b)
			}
		}
	}
}

// slotSize is a ring's slot: its largest message.
func slotSize(s *Spec, o *Shared) int {
	n := 0
	for _, st := range s.Structs {
		if st.Name == o.Request || st.Name == o.Response {
			n = max(n, st.Size)
		}
	}
	return n
}

func (d *differ) xenstore() {
	for _, ok := range d.old.Xenstore {
		path := "xenstore." + ok.Side + "." + ok.Name
		i := slices.IndexFunc(d.new.Xenstore, func(k *Key) bool { return k.Name == ok.Name && k.Side == ok.Side })
		if i < 0 {
			if j := slices.IndexFunc(d.new.Xenstore, func(k *Key) bool { return k.Name == ok.Name }); j >= 0 {
				d.add("xs-side", Breaking, d.new.Xenstore[j].Pos, false, path, both, "%s moved from the %s to the %s", ok.Name, ok.Side, d.new.Xenstore[j].Side)
			} else if len(ok.Readers) > 0 {
				d.add("xs-removed", Breaking, ok.Pos, true, path, senders(ok.Side), "%s was removed, but the %s reads it", ok.Name, strings.Join(ok.Readers, " and "))
			} else {
				d.add("xs-removed", None, ok.Pos, true, path, nil, "%s was removed; nobody else reads it", ok.Name)
			}
			continue
		}
		nk := d.new.Xenstore[i]
		if ok.Type != nk.Type {
			d.add("xs-type", Breaking, nk.Pos, false, path, senders(ok.Side), "its type changed from %s to %s", ok.Type, nk.Type)
		}
		if ok.Default != nk.Default {
			d.add("xs-default", Breaking, nk.Pos, false, path, senders(ok.Side), "its default changed from %q to %q: absence now means something else", ok.Default, nk.Default)
		}
		if !ok.Required && nk.Required && !d.newer(nk.Since, nk.Feature) {
			d.add("xs-required", Breaking, nk.Pos, false, path, senders(otherSide(ok.Side)), "it became required: an old %s may not write it", ok.Side)
		}
		if state(nk.ReadyBy) > state(ok.ReadyBy) && ok.ReadyBy != "" {
			d.add("xs-later", Breaking, nk.Pos, false, path, senders(ok.Side), "it is published by %s now, later than %s", nk.ReadyBy, ok.ReadyBy)
		}
	}
	for _, nk := range d.new.Xenstore {
		if slices.ContainsFunc(d.old.Xenstore, func(k *Key) bool { return k.Name == nk.Name }) {
			continue
		}
		path := "xenstore." + nk.Side + "." + nk.Name
		switch {
		case !nk.Required:
			d.add("xs-required", None, nk.Pos, false, path, nil, "the new %s is optional; absent, it means %q", nk.Name, nk.Default)
		case d.newer(nk.Since, nk.Feature):
			d.add("xs-required", Gated, nk.Pos, false, path, senders(otherSide(nk.Side)), "the new %s is required%s", nk.Name, gatedBy(true, nk.Since, nk.Feature))
		default:
			d.add("xs-required", Breaking, nk.Pos, false, path, senders(otherSide(nk.Side)), "the new %s is required, but an old %s does not write it", nk.Name, nk.Side)
		}
	}
}

func otherSide(side string) string {
	switch side {
	case "frontend":
		return "backend"
	case "backend":
		return "frontend"
	}
	return side
}

func stepPath(st *Step) string {
	return fmt.Sprintf("handshake.%s.%s.%s-%s", st.Phase, st.Side, st.From, st.To)
}

func (d *differ) handshake() {
	same := func(a, b *Step) bool {
		return a.Phase == b.Phase && a.Side == b.Side && a.From == b.From && a.To == b.To
	}
	for _, ns := range d.new.Handshake {
		if ns.Optional || slices.ContainsFunc(d.old.Handshake, func(o *Step) bool { return same(o, ns) }) {
			continue
		}
		if d.newer(ns.Since, ns.Feature) {
			d.add("hs-new-step", Gated, ns.Pos, false, stepPath(ns), senders(ns.Side), "a new step%s", gatedBy(true, ns.Since, ns.Feature))
			continue
		}
		d.add("hs-new-step", Breaking, ns.Pos, false, stepPath(ns), senders(ns.Side), "a new mandatory step for version %d: an old peer does not wait for it", d.old.Version)
	}
}

func (d *differ) versions() {
	ov, nv := d.old.Versioning, d.new.Versioning
	for _, v := range ov.Offered {
		if !slices.Contains(nv.Offered, v) {
			d.add("ver-dropped", Breaking, nv.Pos, false, "versioning.offered", senders(ov.OfferedBy), "version %d is no longer offered", v)
		}
	}
	if ov.OfferedBy != nv.OfferedBy || ov.OfferKey != nv.OfferKey || ov.ChosenBy != nv.ChosenBy || ov.ChoiceKey != nv.ChoiceKey {
		d.add("ver-negotiation", Breaking, nv.Pos, false, "versioning", both, "the way versions are offered and chosen changed")
	}
	if d.new.Version < d.old.Version {
		d.add("ver-negotiation", Breaking, Pos{1, 1}, false, "version", both, "the protocol version went down from %d to %d", d.old.Version, d.new.Version)
	}
	for _, of := range d.old.Features {
		path := "features." + of.Name
		i := slices.IndexFunc(d.new.Features, func(f *Feature) bool { return f.Name == of.Name })
		if i < 0 {
			d.add("feature-removed", Breaking, of.Pos, true, path, senders(of.AdvertisedBy), "the feature %s was withdrawn", of.Name)
			continue
		}
		nf := d.new.Features[i]
		switch {
		case of.AdvertisedBy != nf.AdvertisedBy || of.RequestedBy != nf.RequestedBy || of.Key != nf.Key || of.Default != nf.Default:
			d.add("feature-meaning", Breaking, nf.Pos, false, path, both, "who advertises or requests it, its key or its default changed")
		case of.Gates != nf.Gates:
			d.add("feature-meaning", Review, nf.Pos, false, path, both, "what it gates is described differently: check that its meaning is the same")
		}
	}
}
