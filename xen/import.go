package xen

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// notProtocols are the io headers that every protocol shares.
var notProtocols = map[string]bool{"ring": true, "protocols": true, "xenbus": true}

// protocolTitles are pvczar's titles for Xen's protocols; a header the
// table does not know has its name for a title.
var protocolTitles = map[string]string{
	"blkif":       "PV block devices",
	"netif":       "PV network devices",
	"console":     "PV console",
	"fbif":        "PV framebuffer",
	"kbdif":       "PV keyboard, pointer and multi-touch",
	"displif":     "PV display",
	"sndif":       "PV sound",
	"usbif":       "PV USB",
	"vscsiif":     "PV SCSI",
	"tpmif":       "PV TPM",
	"pciif":       "PV PCI passthrough",
	"9pfs":        "Xen transport for 9pfs",
	"pvcalls":     "PV Calls: POSIX socket calls forwarded to the backend",
	"cameraif":    "PV camera",
	"fsif":        "PV file system access",
	"xs_wire":     "Xenstore wire format and ring",
	"libxenvchan": "vchan: byte streams between domains",
}

// docProtocols names the protocol of design documents whose name is not
// the protocol's.
var docProtocols = map[string]string{"console.txt": "console", "xenstore-ring.txt": "xs_wire"}

// driverPaths are where xen.git keeps a protocol's own implementations;
// their maintainers count among the protocol's.
var driverPaths = map[string][]string{
	"console":     {"tools/console/"},
	"9pfs":        {"tools/9pfsd/"},
	"tpmif":       {"stubdom/vtpm/", "stubdom/vtpmmgr/"},
	"xs_wire":     {"tools/xenstored/"},
	"libxenvchan": {"tools/libs/vchan/"},
}

// ImportOptions are the inputs of an import besides the history.
type ImportOptions struct {
	// Registry is the registry to bring up to date: empty for a new
	// database. It is not changed.
	Registry *pvczar.Registry
	// Actor is the Czar who imports; "" for a Czar of the registry whom
	// MAINTAINERS names (on a new database, the one MAINTAINERS names).
	Actor string
	// Now bounds the times of the commands (a commit dated in the future
	// is recorded now).
	Now time.Time
}

// ImportPlan is what an import would write: the commands, in order, and
// what it found along the way.
type ImportPlan struct {
	Head      string          `json:"head"`
	Commits   int             `json:"commits"`
	Actor     string          `json:"actor"`
	Commands  []pvczar.Event  `json:"-"`
	Protocols []ProtocolFacts `json:"protocols"`
	People    []RolePerson    `json:"people"`
	Findings  []Finding       `json:"findings"`
}

// ProtocolFacts is what the tree at the head says of one protocol.
type ProtocolFacts struct {
	ID        string `json:"id"`
	Header    string `json:"header,omitempty"`
	HeaderAt  string `json:"header_commit,omitempty"`
	DesignDoc string `json:"design_doc,omitempty"`
	// Stage is the stage SUPPORT.md's labels imply at the head.
	Stage  pvczar.Stage            `json:"support_stage"`
	Listed []pvczar.Implementation `json:"listed,omitempty"`
}

// listing is what one SUPPORT.md revision lists for one protocol.
type listing struct {
	commit int
	impls  []pvczar.Implementation
	stage  pvczar.Stage // what its labels imply
}

// walk is the state of a walk through the history.
type walk struct {
	h         *History
	present   map[string]bool
	headerAt  map[string]int       // protocol id -> the commit that first added its header
	writes    map[string][]int     // docs/misc path -> the commits that wrote it
	renamedTo map[string]string    // docs/misc path -> the path that replaced it (same name, other extension)
	listings  map[string][]listing // protocol id -> its SUPPORT.md listings, when they changed
	last      map[string][]pvczar.Implementation
	support   *SupportFile // at the head
	maint     []byte       // MAINTAINERS at the head
	// tolerant walks keep going past a SUPPORT.md that does not parse,
	// keeping the listings before it: a check reports it.
	tolerant bool
}

// PlanImport plans the commands that bring opt.Registry up to date with
// the history: users and roles from MAINTAINERS, a protocol per io header
// (registered at the commit that added it), its design document at every
// commit that changed it, every change of its SUPPORT.md labels, with
// the imported stage moves they imply, and the commit that applied the
// patch of each proposal's adopted thread (see planner.landings). Facts the registry holds already are
// not planned again, so importing twice plans nothing.
func PlanImport(h *History, opt ImportOptions) (*ImportPlan, error) {
	w, err := walkHistory(h, false)
	if err != nil {
		return nil, err
	}
	plan := &ImportPlan{Head: h.Head, Commits: len(h.Commits)}
	if len(h.Shallow) > 0 {
		plan.Findings = append(plan.Findings, Finding{Rule: RuleShallowHistory, Severity: Warning, File: h.Source,
			Message: fmt.Sprintf("a shallow clone: history before %s is missing, so the first dates of headers, documents and labels are those of the oldest commit present (lower bounds)", strings.Join(shortAll(h.Shallow), ", "))})
	}
	if w.maint == nil {
		return nil, pvczar.Errorf(pvczar.EINVALID, "%s: no MAINTAINERS at %s", h.Source, pvczar.ShortCommit(h.Head))
	}
	mf, err := ParseMaintainers(MaintainersPath, w.maint)
	if err != nil {
		return nil, pvczar.Errorf(pvczar.EINVALID, "%s at %s: %s", h.Source, pvczar.ShortCommit(h.Head), pvczar.ErrorMessage(err))
	}
	ids := w.protocols()
	var paths []string
	for _, id := range ids {
		facts := w.facts(id)
		plan.Protocols = append(plan.Protocols, facts)
		for _, p := range []string{facts.Header, facts.DesignDoc} {
			if p != "" {
				paths = append(paths, p)
			}
		}
		paths = append(paths, driverPaths[id]...)
	}
	plan.People = mf.Roles(paths)
	reg := opt.Registry
	if reg == nil {
		reg = pvczar.NewRegistry(pvczar.DefaultConfig())
	}
	p := &planner{plan: plan, reg: reg, now: opt.Now, h: h}
	if err := p.planUsers(mf, opt.Actor, w.maintainersCommit()); err != nil {
		return nil, err
	}
	for _, facts := range plan.Protocols {
		p.protocol(w, facts)
	}
	p.landings(w)
	p.finish()
	for _, f := range plan.Protocols {
		if f.Header == "" {
			plan.Findings = append(plan.Findings, Finding{Rule: RuleSupportNoHeader, Severity: Warning, File: SupportPath, Protocol: f.ID,
				Message: fmt.Sprintf("SUPPORT.md lists %s, which has no header in %s: imported from SUPPORT.md alone", f.ID, HeaderDir)})
		}
	}
	if w.support != nil {
		plan.Findings = append(plan.Findings, w.support.Warnings...)
		plan.Findings = append(plan.Findings, w.support.Mixed(SupportPath, w.protocolOf)...)
		for _, e := range w.support.Entries {
			if w.protocolOf(e) == "" {
				plan.Findings = append(plan.Findings, Finding{Rule: RuleSupportUnmapped, Severity: Note, File: SupportPath, Line: e.Line,
					Message: fmt.Sprintf("entry %q names no PV protocol with a header in %s; not imported", e.Title, HeaderDir)})
			}
		}
	}
	SortFindings(plan.Findings)
	return plan, nil
}

// walkHistory reads every commit of h, oldest first.
func walkHistory(h *History, tolerant bool) (*walk, error) {
	w := &walk{h: h, tolerant: tolerant, present: map[string]bool{}, headerAt: map[string]int{}, writes: map[string][]int{},
		renamedTo: map[string]string{}, listings: map[string][]listing{}, last: map[string][]pvczar.Implementation{}}
	for i := range h.Commits {
		if err := w.step(i); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// step reads commit i.
func (w *walk) step(i int) error {
	c := w.h.Commits[i]
	var added, deleted []string
	for _, ch := range c.Changes {
		if ch.Blob == "" {
			delete(w.present, ch.Path)
			deleted = append(deleted, ch.Path)
			continue
		}
		if !w.present[ch.Path] {
			added = append(added, ch.Path)
		}
		w.present[ch.Path] = true
		switch {
		case ch.Path == MaintainersPath:
			w.maint, _ = w.h.Blob(ch.Blob)
		case strings.HasPrefix(ch.Path, HeaderDir):
			if id, ok := headerProtocol(ch.Path); ok {
				if _, seen := w.headerAt[id]; !seen {
					w.headerAt[id] = i
				}
			}
		case strings.HasPrefix(ch.Path, DocDir):
			w.writes[ch.Path] = append(w.writes[ch.Path], i)
		}
	}
	// A document deleted where one of the same name appears was renamed
	// (9pfs.markdown to 9pfs.pandoc): its history goes on under the new name.
	for _, d := range deleted {
		for _, a := range added {
			if strings.HasPrefix(d, DocDir) && strings.HasPrefix(a, DocDir) && stem(d) == stem(a) {
				w.renamedTo[d] = a
			}
		}
	}
	for _, ch := range c.Changes {
		if ch.Path == SupportPath {
			return w.readSupport(i, ch.Blob)
		}
	}
	return nil
}

// readSupport reads the SUPPORT.md that commit i wrote and records the
// listings that changed.
func (w *walk) readSupport(i int, blob string) error {
	c := w.h.Commits[i]
	sf := &SupportFile{}
	if blob != "" {
		data, ok := w.h.Blob(blob)
		if !ok {
			return fmt.Errorf("%s: SUPPORT.md at %s is missing from the history read", w.h.Source, pvczar.ShortCommit(c.ID))
		}
		var err error
		if sf, err = ParseSupport(SupportPath, data); err != nil && w.tolerant {
			return nil
		} else if err != nil {
			return pvczar.Errorf(pvczar.EINVALID, "%s at %s: %s", w.h.Source, pvczar.ShortCommit(c.ID), pvczar.ErrorMessage(err))
		}
	}
	w.support = sf
	now := map[string][]pvczar.Implementation{}
	for _, e := range sf.Entries {
		id := w.protocolOf(e)
		if id == "" {
			continue
		}
		for _, st := range e.Statuses {
			now[id] = append(now[id], e.Implementation(st))
		}
	}
	for _, impls := range now {
		distinguishVariants(impls)
	}
	ids := map[string]bool{}
	for id := range now {
		ids[id] = true
	}
	for id := range w.last {
		ids[id] = true
	}
	for id := range ids {
		impls := now[id]
		sortImplementations(impls)
		prev, known := w.last[id]
		if known && slices.EqualFunc(impls, prev, sameListing) || !known && len(impls) == 0 {
			continue
		}
		w.listings[id] = append(w.listings[id], listing{commit: i, impls: impls, stage: pvczar.SupportStage(true, impls)})
		if len(impls) == 0 {
			delete(w.last, id)
		} else {
			w.last[id] = impls
		}
	}
	return nil
}

// distinguishVariants names apart two lines about one implementation that
// put their variant after the label (`Linux: Supported (outside of
// "backend allocation" mode)`), as the later `Linux, outside of "backend
// allocation" mode: Supported` does.
func distinguishVariants(impls []pvczar.Implementation) {
	count := map[string]int{}
	for _, impl := range impls {
		count[impl.Side+"\x00"+impl.CodeBase+"\x00"+impl.Name]++
	}
	for i, impl := range impls {
		if count[impl.Side+"\x00"+impl.CodeBase+"\x00"+impl.Name] > 1 && impl.SupportNote != "" {
			name := impl.Name
			if name == "" {
				name = impl.CodeBase
			}
			impls[i].Name = name + ", " + impl.SupportNote
			impls[i].SupportNote = ""
		}
	}
}

func sameListing(a, b pvczar.Implementation) bool {
	return a.Side == b.Side && a.CodeBase == b.CodeBase && a.Name == b.Name && a.Support == b.Support &&
		a.SupportNote == b.SupportNote && a.Caveat == b.Caveat
}

func sortImplementations(impls []pvczar.Implementation) {
	sort.SliceStable(impls, func(i, j int) bool {
		a, b := impls[i], impls[j]
		if a.Side != b.Side {
			return a.Side > b.Side // frontends first
		}
		if a.CodeBase != b.CodeBase {
			return a.CodeBase < b.CodeBase
		}
		return a.Name < b.Name
	})
}

// protocolOf names the protocol of a SUPPORT.md entry: by its title's
// words, or a header named after one of them (PV camera: cameraif.h).
func (w *walk) protocolOf(e SupportEntry) string {
	if e.Protocol != "" {
		return e.Protocol
	}
	for _, word := range titleWords(e.Title) {
		for _, id := range []string{word, word + "if"} {
			if pvczar.ValidSlug(id) && w.present[HeaderDir+id+".h"] {
				return id
			}
		}
	}
	return ""
}

// headerProtocol is the protocol of an io header path.
func headerProtocol(p string) (string, bool) {
	rest := strings.TrimPrefix(p, HeaderDir)
	if strings.Contains(rest, "/") || !strings.HasSuffix(rest, ".h") {
		return "", false
	}
	id := strings.TrimSuffix(rest, ".h")
	if notProtocols[id] || !pvczar.ValidSlug(id) {
		return "", false
	}
	return id, true
}

// stem is a file's name without directory and extension.
func stem(p string) string {
	base := path.Base(p)
	return strings.TrimSuffix(base, path.Ext(base))
}

// protocols lists the protocols of the head: those with a header there, and
// those SUPPORT.md lists.
func (w *walk) protocols() []string {
	var ids []string
	for id := range w.headerAt {
		if w.present[HeaderDir+id+".h"] || len(w.listings[id]) > 0 {
			ids = append(ids, id)
		}
	}
	for id := range w.listings {
		if _, ok := w.headerAt[id]; !ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// designDoc is the protocol's design document at the head, and the
// documents it was renamed from, oldest first: a document named after the
// protocol (pvcalls.pandoc, netif-staging-grants.pandoc) or one of
// docProtocols.
func (w *walk) designDoc(id string) []string {
	var candidates []string
	for p := range w.present {
		if !strings.HasPrefix(p, DocDir) || strings.Contains(strings.TrimPrefix(p, DocDir), "/") {
			continue
		}
		s := stem(p)
		if s == id || strings.HasPrefix(s, id+"-") || docProtocols[path.Base(p)] == id {
			candidates = append(candidates, p)
		}
	}
	if len(candidates) == 0 {
		return nil
	}
	sort.Slice(candidates, func(i, j int) bool { // the document named exactly after the protocol first
		ei, ej := stem(candidates[i]) == id, stem(candidates[j]) == id
		if ei != ej {
			return ei
		}
		return candidates[i] < candidates[j]
	})
	chain := []string{candidates[0]}
	for changed := true; changed; {
		changed = false
		for old, renamed := range w.renamedTo {
			if renamed == chain[0] && !slices.Contains(chain, old) {
				chain = append([]string{old}, chain...)
				changed = true
			}
		}
	}
	return chain
}

func (w *walk) facts(id string) ProtocolFacts {
	f := ProtocolFacts{ID: id}
	if w.present[HeaderDir+id+".h"] {
		f.Header = HeaderDir + id + ".h"
		f.HeaderAt = w.h.Commits[w.headerAt[id]].ID
	}
	if docs := w.designDoc(id); len(docs) > 0 {
		f.DesignDoc = docs[len(docs)-1]
	}
	f.Stage = pvczar.StageDesign
	if ls := w.listings[id]; len(ls) > 0 {
		f.Listed, f.Stage = ls[len(ls)-1].impls, ls[len(ls)-1].stage
	}
	return f
}

// maintainersCommit is the commit of the MAINTAINERS read.
func (w *walk) maintainersCommit() Commit {
	for i := len(w.h.Commits) - 1; i >= 0; i-- {
		for _, ch := range w.h.Commits[i].Changes {
			if ch.Path == MaintainersPath && ch.Blob != "" {
				return w.h.Commits[i]
			}
		}
	}
	return Commit{}
}

func shortAll(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = pvczar.ShortCommit(id)
	}
	return out
}
