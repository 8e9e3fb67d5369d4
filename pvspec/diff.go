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

// StagePromised is the stage from which the ABI is promised: breaking
// changes fail from it on.
const StagePromised = "production"

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
			if stage == StagePromised {
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
	{"wire-struct-removed", "wire", "a struct or message old peers use is not removed", Breaking},
	{"wire-added", "wire", "a new struct, message or shared object changes nothing old peers see", None},
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
	{"feature-added", "versions", "a new feature is off until both sides negotiate it", None},
	{"name-rename", "names", "renames change source, not the wire", Source},
}

// differ holds the two specs being compared, with their indexes.
type differ struct {
	old, new   *Spec
	oldx, newx *index
	newWriters map[string][2]bool // a type of the new spec -> whether frontends, backends write fields of it
	out        []Change
	renamed    map[string]string // old struct name -> new, for structs renamed with their layout
	// sharedRenames are the new shared objects that are old ones renamed.
	sharedRenames map[string]bool
	// negotiated is set when a new protocol version can gate a change: the
	// old spec says how versions are offered and chosen, and the new one
	// still offers the old version. A version number alone gates nothing:
	// an old peer that does not negotiate never learns which one it got.
	negotiated bool
}

// writers says, for each type the fields of s use, whether frontends and
// whether backends write fields of it.
func writers(s *Spec) map[string][2]bool {
	out := map[string][2]bool{}
	for _, st := range s.Structs {
		for _, f := range st.Fields {
			w := out[f.Type]
			w[0] = w[0] || st.Writer != "backend"
			w[1] = w[1] || st.Writer != "frontend"
			out[f.Type] = w
		}
	}
	return out
}

// sig is what a field is on the wire, found through the spec's index so
// that the diff costs time linear in the specs' sizes.
func (x *index) sig(f *Field) fieldSig {
	at := -1
	if f.At != nil {
		at = *f.At
	}
	scalar := x.base(f.Type)
	if scalar == "" {
		scalar = f.Type
	}
	return fieldSig{at, x.size(f), scalar}
}

func (d *differ) add(rule string, sev Severity, pos Pos, fromOld bool, path string, breaks []string, format string, args ...any) {
	file := d.new.File
	if fromOld {
		file = d.old.File
	}
	d.out = append(d.out, Change{Rule: rule, Severity: sev, Path: path, Reason: fmt.Sprintf(format, args...), Breaks: breaks, File: file, Line: pos.Line})
}

var both = []string{OldFrontNewBack, NewFrontOldBack}

// negotiates tells whether a versioning section says how the two ends
// agree on a version: who offers, who chooses, and the key of one of them.
func (v Versioning) negotiates() bool {
	return v.OfferedBy != "" && v.ChosenBy != "" && (v.OfferKey != "" || v.ChoiceKey != "")
}

// newer tells whether something appeared with a version or feature the
// old spec did not have, which makes an incompatible change "gated": a
// feature is negotiated by its key; a version only when versions are.
func (d *differ) newer(since int, feature string) bool {
	if since > d.old.Version && d.negotiated {
		return true
	}
	if feature == "" {
		return false
	}
	return !slices.ContainsFunc(d.old.Features, func(f *Feature) bool { return f.Name == feature })
}

// bump is the severity of a wire change: gated behind a new protocol
// version that the two ends negotiate, breaking otherwise.
func (d *differ) bump() Severity {
	if d.new.Version > d.old.Version && d.negotiated {
		return Gated
	}
	return Breaking
}

// Diff compares two versions of a spec, for old frontend + new backend
// and new frontend + old backend, and marks the changes the new spec
// waives. Both specs should pass Check; Diff itself does not rely on it.
func Diff(old, new *Spec) []Change {
	d := &differ{old: old, new: new, oldx: newIndex(old), newx: newIndex(new), newWriters: writers(new), renamed: map[string]string{}, sharedRenames: map[string]bool{}}
	d.negotiated = old.Versioning.negotiates() && new.Versioning.negotiates() && slices.Contains(new.Versioning.Offered, old.Version)
	d.conventions()
	d.enums()
	d.structs()
	d.shared()
	d.xenstore()
	d.handshake()
	d.versions()
	d.oneSeverity()
	waivers := map[[2]string]string{}
	for _, w := range new.Waivers {
		waivers[[2]string{w.Rule, w.Path}] = w.Reason
	}
	for i := range d.out {
		c := &d.out[i]
		c.Waived = waivers[[2]string{c.Rule, c.Path}]
	}
	sort.SliceStable(d.out, func(i, j int) bool { return d.out[i].Path < d.out[j].Path })
	return d.out
}

func (d *differ) conventions() {
	if d.old.Conventions.ByteOrder != d.new.Conventions.ByteOrder {
		d.add("wire-byte-order", Breaking, d.new.Conventions.Pos, false, "conventions.byte_order", both, "the byte order changed from %q to %q", d.old.Conventions.ByteOrder, d.new.Conventions.ByteOrder)
	}
	if a, b := d.old.PageSize(), d.new.PageSize(); a != b { // unstated is 4096
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

func (d *differ) enums() {
	for _, oe := range d.old.Enums {
		ne := d.newx.enums[oe.Name]
		if ne == nil {
			continue // its fields' changes report it
		}
		path := "enums." + ne.Name
		if oe.Open && !ne.Open {
			d.add("enum-closed", Review, ne.Pos, false, path, both, "the enum was open and is now closed: values old peers send may now be refused")
		}
		if oe.Base != ne.Base {
			d.add("wire-width", d.bump(), ne.Pos, false, path, both, "its base changed from %s to %s", oe.Base, ne.Base)
		}
		oldByName, oldByValue := valueIndex(oe.Values)
		newByName, newByValue := valueIndex(ne.Values)
		front, back := d.newWriters[ne.Name][0], d.newWriters[ne.Name][1]
		for _, ov := range oe.Values {
			if nv, ok := newByName[ov.Name]; ok {
				if nv.Value != ov.Value {
					d.add("enum-renumber", Breaking, nv.Pos, false, path+"."+nv.Name, both, "%s changed from %d to %d", nv.Name, ov.Value, nv.Value)
				}
				continue
			}
			if nv, ok := newByValue[ov.Value]; ok {
				if _, had := oldByName[nv.Name]; !had {
					d.add("name-rename", Source, nv.Pos, false, path+"."+nv.Name, nil, "%s is the old %s renamed: the number is the same", nv.Name, ov.Name)
					continue
				}
			}
			sev := Breaking
			if ov.Deprecated != 0 {
				sev = Review
			}
			d.add("enum-removed", sev, ov.Pos, true, path+"."+ov.Name, both, "%s (%d) was removed: old peers may still use it", ov.Name, ov.Value)
		}
		for _, nv := range ne.Values {
			if _, ok := oldByName[nv.Name]; ok {
				continue
			}
			vpath := path + "." + nv.Name
			if was, ok := oldByValue[nv.Value]; ok {
				if _, kept := newByName[was.Name]; kept {
					d.add("enum-reuse", Breaking, nv.Pos, false, vpath, both, "%d was %s and is given to %s", nv.Value, was.Name, nv.Name)
				}
				continue // a rename, reported above
			}
			gated := d.newer(nv.Since, nv.Feature)
			if !front && !back {
				sev := Review
				if gated {
					sev = Gated
				}
				d.add("enum-new-frontend", sev, nv.Pos, false, vpath, both, "the new %s is a value of an enum no field of the spec is typed with, so who sends it is unknown: check that old peers need not know it%s", nv.Name, gatedBy(gated, nv.Since, nv.Feature))
				continue
			}
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

// valueIndex finds an enum's values by name and by number (the first of
// each number).
func valueIndex(values []EnumValue) (map[string]EnumValue, map[int64]EnumValue) {
	byName, byValue := map[string]EnumValue{}, map[int64]EnumValue{}
	for _, v := range values {
		byName[v.Name] = v
		if _, ok := byValue[v.Value]; !ok {
			byValue[v.Value] = v
		}
	}
	return byName, byValue
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

func (d *differ) structs() {
	for _, f := range Check(d.new) {
		if f.Rule == "alignment" {
			d.add("wire-arch", Breaking, Pos{f.Line, f.Col}, false, f.Path, both, "the layout would differ between architectures: %s", f.Msg)
		}
	}
	var removed, added []*Struct
	for _, olds := range d.old.Structs {
		ns := d.newx.structs[olds.Name]
		if ns == nil {
			removed = append(removed, olds)
			continue
		}
		d.structPair(olds, ns, "structs."+ns.Name)
	}
	for _, ns := range d.new.Structs {
		if d.oldx.structs[ns.Name] == nil {
			added = append(added, ns)
		}
	}
	// A struct removed and one added with the same layout is a rename.
	bySig := map[string][]*Struct{}
	for _, ns := range added {
		k := layoutKey(d.newx, ns)
		bySig[k] = append(bySig[k], ns)
	}
	renamed := map[*Struct]bool{}
	for _, olds := range removed {
		k := layoutKey(d.oldx, olds)
		if cands := bySig[k]; len(cands) > 0 {
			ns := cands[0]
			bySig[k] = cands[1:]
			renamed[ns] = true
			d.renamed[olds.Name] = ns.Name
			d.add("name-rename", Source, ns.Pos, false, "structs."+ns.Name, nil, "%s is the old %s renamed: the same layout", ns.Name, olds.Name)
			continue
		}
		d.add("wire-struct-removed", Breaking, olds.Pos, true, "structs."+olds.Name, both, "the struct %s (%d bytes) was removed: old peers may still send or expect it", olds.Name, olds.Size)
	}
	for _, ns := range added {
		if !renamed[ns] {
			d.add("wire-added", None, ns.Pos, false, "structs."+ns.Name, nil, "a new struct %s (%d bytes): old peers meet it only through the fields, values and rings that use it, judged there", ns.Name, ns.Size)
		}
	}
}

// layoutKey says what a struct is on the wire: its size and its fields'
// offsets, sizes and scalars.
func layoutKey(x *index, st *Struct) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", st.Size)
	for _, f := range st.Fields {
		s := x.sig(f)
		fmt.Fprintf(&b, "|%d,%d,%s,%t", s.at, s.size, s.scalar, f.Reserved)
	}
	return b.String()
}

// structPair compares a struct present in both specs. Fields pair by name,
// then by offset (a field renamed, perhaps retyped); what is left was
// removed or added.
func (d *differ) structPair(olds, ns *Struct, path string) {
	newByName := map[string]*Field{}
	for _, nf := range ns.Fields {
		newByName[nf.Name] = nf
	}
	flex := flexed(olds, newByName)
	tail := false // the layout of a shared page grows into the page's unused tail
	switch limit := d.pageLimit(ns.Name); {
	case olds.Size == ns.Size:
	case len(flex) > 0:
		d.add("wire-size", None, ns.Pos, false, path, nil, "C's sizeof changed from %d to %d because a trailing array became a flexible array member, or one again: the wire is the same", olds.Size, ns.Size)
	case limit > 0 && ns.Size > olds.Size && ns.Size <= limit:
		tail = true
		d.add("wire-size", None, ns.Pos, false, path, nil, "the layout of a shared page grows from %d to %d bytes into the page's unused tail: its new fields are judged one by one", olds.Size, ns.Size)
	default:
		d.add("wire-size", d.bump(), ns.Pos, false, path, both, "its size changed from %d to %d", olds.Size, ns.Size)
	}
	if olds.C != ns.C && olds.C != "" {
		d.add("name-rename", Source, ns.Pos, false, path, nil, "its C tag changed from %s to %q", olds.C, ns.C)
	}
	matched := map[*Field]bool{}
	var gone []*Field
	for _, of := range olds.Fields {
		if nf := newByName[of.Name]; nf != nil {
			matched[nf] = true
			if flex[nf] {
				d.add("wire-width", None, nf.Pos, false, path+"."+of.Name, nil, "%s is the same trailing array, declared with a length of 1 on one side and as a flexible array member on the other", nf.Name)
				continue
			}
			d.field(of, nf, path+"."+of.Name, "")
			continue
		}
		gone = append(gone, of)
	}
	// Unmatched new fields by offset, for renames.
	byAt := map[int]*Field{}
	for _, nf := range ns.Fields {
		if !matched[nf] && nf.At != nil {
			if _, taken := byAt[*nf.At]; !taken {
				byAt[*nf.At] = nf
			}
		}
	}
	var newSp spans // the new struct's fields by offset, for the removed ones
	if len(gone) > 0 {
		newSp = newSpans(d.newx, ns)
	}
	for _, of := range gone {
		osig := d.oldx.sig(of)
		nf := byAt[osig.at]
		if nf != nil && !matched[nf] && nf.Reserved == of.Reserved && d.newx.sig(nf).size == osig.size {
			matched[nf] = true
			if d.newx.sig(nf) == osig {
				if !of.Reserved {
					d.add("name-rename", Source, nf.Pos, false, path+"."+nf.Name, nil, "%s is the old %s renamed: same offset, width and type", nf.Name, of.Name)
				}
				continue
			}
			d.field(of, nf, path+"."+nf.Name, of.Name)
			continue
		}
		if of.Reserved {
			continue // reserved bytes taken by fields: judged below
		}
		if newSp.reservedOver(osig) {
			d.add("wire-removed", Review, of.Pos, true, path+"."+of.Name, both, "%s was removed and its bytes are reserved: peers that still use it now see zero", of.Name)
		} else {
			d.add("wire-removed", Breaking, of.Pos, true, path+"."+of.Name, both, "%s was removed and its bytes %d..%d are not reserved", of.Name, osig.at, osig.at+osig.size-1)
		}
	}
	old := newSpans(d.oldx, olds)
	for _, nf := range ns.Fields {
		if matched[nf] || nf.Reserved {
			continue
		}
		if b := d.newx.sig(nf); tail && b.at >= olds.Size {
			d.tailTaken(nf, path+"."+nf.Name)
			continue
		}
		d.newField(old, nf, path+"."+nf.Name)
	}
}

// flexed finds the fields that are one trailing array declared two ways:
// with a length of 1 (C before C99) in one spec, as a flexible array
// member (length:) in the other, at the same offset. Xen's headers moved
// from the first to the second with XEN_FLEX_ARRAY_DIM. newByName finds
// the new struct's fields by name.
func flexed(olds *Struct, newByName map[string]*Field) map[*Field]bool {
	out := map[*Field]bool{}
	for _, of := range olds.Fields {
		nf := newByName[of.Name]
		if nf == nil || of.At == nil || nf.At == nil || *of.At != *nf.At {
			continue
		}
		single := func(f *Field) bool { return f.Length == "" && f.Count <= 1 }
		if single(of) && nf.Length != "" || of.Length != "" && single(nf) {
			out[nf] = true
		}
	}
	return out
}

// pageLimit is the bytes of the shared page(s) whose layout st gives in
// the new spec, or 0 when st lays out no page.
func (d *differ) pageLimit(st string) int {
	for _, o := range d.new.Shared {
		if o.Struct == st && (o.Kind == "page" || o.Kind == "byte-rings" || o.Kind == "event-page") {
			return max(o.Pages, 1) * d.new.PageSize()
		}
	}
	return 0
}

// tailTaken judges a field that a shared page's layout adds beyond its old
// size: old peers left those bytes alone, and whether they are zero is
// whoever allocates the page's matter.
func (d *differ) tailTaken(nf *Field, path string) {
	switch {
	case d.old.Conventions.Reserved.Sender == "zero" && nf.ZeroIsOld:
		d.add("wire-reserved", None, nf.Pos, false, path, nil, "%s takes the page's unused tail, which is zero, and zero means the old behaviour", nf.Name)
	case d.newer(nf.Since, nf.Feature):
		d.add("wire-reserved", Gated, nf.Pos, false, path, both, "%s takes the page's unused tail%s", nf.Name, gatedBy(true, nf.Since, nf.Feature))
	default:
		d.add("wire-reserved", Review, nf.Pos, false, path, both, "%s takes the page's unused tail: compatible when the page is zeroed when allocated and zero means the old behaviour", nf.Name)
	}
}

// spans are a struct's fields ordered by offset, to find overlaps in
// logarithmic time.
type spans struct {
	at       []int
	sigs     []fieldSig
	reserved []bool
}

func newSpans(x *index, st *Struct) spans {
	var sp spans
	type one struct {
		sig      fieldSig
		reserved bool
	}
	var all []one
	for _, f := range st.Fields {
		all = append(all, one{x.sig(f), f.Reserved})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].sig.at < all[j].sig.at })
	for _, o := range all {
		sp.at, sp.sigs, sp.reserved = append(sp.at, o.sig.at), append(sp.sigs, o.sig), append(sp.reserved, o.reserved)
	}
	return sp
}

// overlap counts the bytes of [at, at+size) that reserved and other
// fields cover.
func (sp spans) overlap(at, size int) (reserved, fields int) {
	// Fields are at most as large as their struct: start from the first
	// field that may reach at.
	i := sort.SearchInts(sp.at, at)
	for i > 0 && sp.sigs[i-1].at+sp.sigs[i-1].size > at {
		i--
	}
	for ; i < len(sp.sigs) && sp.sigs[i].at < at+size; i++ {
		s := sp.sigs[i]
		n := min(s.at+s.size, at+size) - max(s.at, at)
		if n <= 0 {
			continue
		}
		if sp.reserved[i] {
			reserved += n
		} else {
			fields += n
		}
	}
	return reserved, fields
}

// reservedOver tells whether reserved fields cover the bytes of sig.
func (sp spans) reservedOver(sig fieldSig) bool {
	reserved, _ := sp.overlap(sig.at, sig.size)
	return reserved >= sig.size
}

// field compares one field present in both specs; renamedFrom, when not
// "", is the old name of a field paired by offset.
func (d *differ) field(of, nf *Field, path, renamedFrom string) {
	a, b := d.oldx.sig(of), d.newx.sig(nf)
	renamed := "" // what the findings add of a rename
	if renamedFrom != "" {
		renamed = " (renamed from " + renamedFrom + ")"
	}
	sev := d.bump()
	switch {
	case of.Reserved && nf.Reserved:
		// Reserved bytes may move and shrink: the fields that take them are judged.
	case a.at != b.at:
		d.add("wire-offset", sev, nf.Pos, false, path, both, "its offset changed from %d to %d%s", a.at, b.at, renamed)
	case a.size != b.size:
		d.add("wire-width", sev, nf.Pos, false, path, both, "its width changed from %d to %d bytes%s", a.size, b.size, renamed)
	case a.scalar != b.scalar && scalarSizes[a.scalar] > 0 && scalarSizes[b.scalar] > 0:
		d.add("wire-signedness", sev, nf.Pos, false, path, both, "its type changed from %s to %s%s", a.scalar, b.scalar, renamed)
	case of.Type == "bytes" && nf.Type == "union" && !of.Reserved:
		d.add("wire-discriminator", Review, nf.Pos, false, path, both, "opaque bytes became a union with variants%s: check that old peers ignore the values that select them", renamed)
	case of.Type != nf.Type && (of.Type == "union") != (nf.Type == "union"):
		d.add("wire-discriminator", Breaking, nf.Pos, false, path, both, "it changed from %s to %s%s", of.Type, nf.Type, renamed)
	case of.Type != nf.Type:
		d.add("wire-type", Source, nf.Pos, false, path, nil, "its type is now called %s instead of %s; the representation is the same%s", nf.Type, of.Type, renamed)
	case renamedFrom != "":
		d.add("name-rename", Source, nf.Pos, false, path, nil, "%s is the old %s", nf.Name, renamedFrom)
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
func (d *differ) newField(old spans, nf *Field, path string) {
	b := d.newx.sig(nf)
	reservedBytes, fieldBytes := old.overlap(b.at, b.size)
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

// union compares a union's discriminator and variants. A union that grows
// is judged once, as the width of its field (field); a body that does not
// fit the old union is judged the same way, since it is the same change.
func (d *differ) union(of, nf *Field, path string) {
	if of.On != nf.On {
		d.add("wire-discriminator", Breaking, nf.Pos, false, path, both, "the union's discriminator changed from %s to %s", of.On, nf.On)
	}
	oldSize := d.oldx.sig(of).size
	for _, nv := range nf.Variants {
		if st := d.newx.structs[nv.Type]; st != nil && st.Size > oldSize {
			sev := d.bump()
			if d.newer(nv.Since, "") {
				sev = Gated
			}
			d.add("wire-variant", sev, nv.Pos, false, path+"."+nv.Name, both, "the body %s takes %d bytes; the old union had %d", st.Name, st.Size, oldSize)
		}
	}
}

func (d *differ) shared() {
	newByName := map[string]*Shared{}
	for _, no := range d.new.Shared {
		newByName[no.Name] = no
	}
	oldNames := map[string]bool{}
	for _, oo := range d.old.Shared {
		oldNames[oo.Name] = true
	}
	for _, oo := range d.old.Shared {
		path := "shared." + oo.Name
		no := newByName[oo.Name]
		if no == nil {
			no = d.renamedShared(oo, oldNames)
			if no != nil {
				d.add("name-rename", Source, no.Pos, false, "shared."+no.Name, nil, "%s is the old %s renamed: the same layout", no.Name, oo.Name)
				path = "shared." + no.Name
			}
		}
		if no == nil {
			d.add("wire-ring", Breaking, oo.Pos, true, path, both, "the shared object %s was removed", oo.Name)
			continue
		}
		switch {
		case oo.Kind != no.Kind:
			d.add("wire-ring", Breaking, no.Pos, false, path, both, "its kind changed from %s to %s", oo.Kind, no.Kind)
		case d.rename(oo.Request) != no.Request || d.rename(oo.Response) != no.Response || d.rename(oo.Struct) != no.Struct || d.rename(oo.Event) != no.Event:
			d.add("wire-ring", d.bump(), no.Pos, false, path, both, "its messages or layout struct changed")
		case max(oo.Pages, 1) != max(no.Pages, 1):
			d.add("wire-ring", d.bump(), no.Pos, false, path, both, "its pages changed from %d to %d", max(oo.Pages, 1), max(no.Pages, 1))
		case oo.GrantKey != no.GrantKey || oo.EventKey != no.EventKey || oo.AllocatedBy != no.AllocatedBy:
			d.add("wire-ring", Breaking, no.Pos, false, path, both, "who allocates it, or the keys carrying its grant and event channel, changed")
		}
		if no.Kind == "ring" && oo.Kind == "ring" {
			a, b := slotSize(d.oldx, oo), slotSize(d.newx, no)
			if a != b {
				d.add("wire-size", d.bump(), no.Pos, false, path, both, "its slot size changed from %d to %d bytes, so the slot count and every index do", a, b)
			}
		}
	}
	for _, no := range d.new.Shared {
		if !oldNames[no.Name] && !d.sharedRenames[no.Name] {
			d.add("wire-added", None, no.Pos, false, "shared."+no.Name, nil, "a new shared %s %s: old peers never map it; the keys that carry it are judged with the xenstore keys", no.Kind, no.Name)
		}
	}
}

// rename is a struct's name in the new spec: itself, or what it was
// renamed to with its layout.
func (d *differ) rename(name string) string {
	if n, ok := d.renamed[name]; ok {
		return n
	}
	return name
}

// renamedShared finds the new shared object an old one became when only
// its name changed: the same kind, over the same (or renamed) structs.
// oldNames are the names of the old spec's shared objects.
func (d *differ) renamedShared(oo *Shared, oldNames map[string]bool) *Shared {
	for _, no := range d.new.Shared {
		if oldNames[no.Name] || d.sharedRenames[no.Name] || no.Kind != oo.Kind {
			continue
		}
		if d.rename(oo.Request) == no.Request && d.rename(oo.Response) == no.Response && d.rename(oo.Struct) == no.Struct && d.rename(oo.Event) == no.Event {
			d.sharedRenames[no.Name] = true
			return no
		}
	}
	return nil
}

// slotSize is a ring's slot: its largest message.
func slotSize(x *index, o *Shared) int {
	n := 0
	for _, name := range []string{o.Request, o.Response} {
		if st := x.structs[name]; st != nil {
			n = max(n, st.Size)
		}
	}
	return n
}

func (d *differ) xenstore() {
	newKeys, newNames := map[[2]string]*Key{}, map[string]*Key{}
	for _, k := range d.new.Xenstore {
		newKeys[[2]string{k.Side, k.Name}] = k
		if newNames[k.Name] == nil {
			newNames[k.Name] = k
		}
	}
	oldNames := map[string]bool{}
	for _, ok := range d.old.Xenstore {
		oldNames[ok.Name] = true
	}
	for _, ok := range d.old.Xenstore {
		path := "xenstore." + ok.Side + "." + ok.Name
		nk := newKeys[[2]string{ok.Side, ok.Name}]
		if nk == nil {
			if moved := newNames[ok.Name]; moved != nil {
				d.add("xs-side", Breaking, moved.Pos, false, path, both, "%s moved from the %s to the %s", ok.Name, ok.Side, moved.Side)
			} else if len(ok.Readers) > 0 {
				d.add("xs-removed", Breaking, ok.Pos, true, path, senders(ok.Side), "%s was removed, but the %s reads it", ok.Name, strings.Join(ok.Readers, " and "))
			} else {
				d.add("xs-removed", None, ok.Pos, true, path, nil, "%s was removed; nobody else reads it", ok.Name)
			}
			continue
		}
		if ok.Type != nk.Type {
			d.add("xs-type", Breaking, nk.Pos, false, path, senders(ok.Side), "its type changed from %s to %s", ok.Type, nk.Type)
		}
		switch {
		case ok.Default == nk.Default:
		case ok.Default == "" && !ok.Required:
			d.add("xs-default", Review, nk.Pos, false, path, senders(ok.Side), "the default %q is stated now, where the old spec said nothing: check that absence meant that before", nk.Default)
		default:
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
		if oldNames[nk.Name] {
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
	newFeatures := map[string]*Feature{}
	for _, nf := range d.new.Features {
		newFeatures[nf.Name] = nf
	}
	oldFeatures := map[string]bool{}
	for _, of := range d.old.Features {
		oldFeatures[of.Name] = true
		path := "features." + of.Name
		nf := newFeatures[of.Name]
		if nf == nil {
			d.add("feature-removed", Breaking, of.Pos, true, path, senders(of.AdvertisedBy), "the feature %s was withdrawn", of.Name)
			continue
		}
		switch {
		case of.AdvertisedBy != nf.AdvertisedBy || of.RequestedBy != nf.RequestedBy || of.Key != nf.Key || of.Default != nf.Default:
			d.add("feature-meaning", Breaking, nf.Pos, false, path, both, "who advertises or requests it, its key or its default changed")
		case of.Gates != nf.Gates:
			d.add("feature-meaning", Review, nf.Pos, false, path, both, "what it gates is described differently: check that its meaning is the same")
		}
	}
	for _, nf := range d.new.Features {
		if !oldFeatures[nf.Name] {
			d.add("feature-added", None, nf.Pos, false, "features."+nf.Name, nil, "a new feature %s, advertised by the %s through %s: off until both sides negotiate it", nf.Name, nf.AdvertisedBy, nf.Key)
		}
	}
}

// severityRank orders the severities that judge a change.
var severityRank = map[Severity]int{Breaking: 3, Gated: 2, Review: 1}

// oneSeverity gives one change one severity: when several rules judge the
// same path (a union that grows is a wider field and larger bodies), they
// all take the gravest of their judgements, and the mixes they break.
// Findings that only name (source) or clear (none) a change keep theirs.
func (d *differ) oneSeverity() {
	worst := map[string]Severity{}
	breaks := map[string][]string{}
	for _, c := range d.out {
		if severityRank[c.Severity] > severityRank[worst[c.Path]] {
			worst[c.Path] = c.Severity
		}
		if severityRank[c.Severity] > 0 {
			for _, b := range c.Breaks {
				if !slices.Contains(breaks[c.Path], b) {
					breaks[c.Path] = append(breaks[c.Path], b)
				}
			}
		}
	}
	for i := range d.out {
		c := &d.out[i]
		if severityRank[c.Severity] > 0 && c.Severity != worst[c.Path] {
			c.Severity, c.Breaks = worst[c.Path], breaks[c.Path]
		}
	}
}
