package xen

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// Tree is xen.git's tree at one revision: its paths, and their contents on
// demand.
type Tree struct {
	Rev   string
	blobs map[string]string // path -> blob id
	repo  *Repo
}

// ReadTree lists the tree at rev.
func ReadTree(ctx context.Context, r *Repo, rev string) (*Tree, error) {
	commit, err := r.Resolve(ctx, rev)
	if err != nil {
		return nil, err
	}
	out, err := r.git(ctx, "ls-tree", "-r", "--full-tree", "-z", commit)
	if err != nil {
		return nil, err
	}
	t := &Tree{Rev: commit, blobs: map[string]string{}, repo: r}
	for _, entry := range strings.Split(string(out), "\x00") {
		meta, p, ok := strings.Cut(entry, "\t")
		if f := strings.Fields(meta); ok && len(f) == 3 && f[1] == "blob" {
			t.blobs[p] = f[2]
		}
	}
	return t, nil
}

// Has reports whether the tree holds a file at p, or files below p/.
func (t *Tree) Has(p string) bool {
	if _, ok := t.blobs[p]; ok {
		return true
	}
	dir := strings.TrimSuffix(p, "/") + "/"
	for f := range t.blobs {
		if strings.HasPrefix(f, dir) {
			return true
		}
	}
	return false
}

// Read returns the contents of the files at paths the tree has.
func (t *Tree) Read(ctx context.Context, paths ...string) (map[string][]byte, error) {
	var ids []string
	for _, p := range paths {
		if id, ok := t.blobs[p]; ok {
			ids = append(ids, id)
		}
	}
	blobs, err := t.repo.Blobs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, p := range paths {
		if data, ok := blobs[t.blobs[p]]; ok {
			out[p] = data
		}
	}
	return out, nil
}

// CheckOptions are the inputs of a check besides the tree.
type CheckOptions struct {
	// Now is when the check runs: prototypes older than StaleDays then are
	// stale.
	Now       time.Time
	StaleDays int
	// Registry, when set, is compared with SUPPORT.md.
	Registry *pvczar.Registry
	// CheckDoc runs the design-document check on a protocol's document,
	// against its header, and returns the errors; nil skips the rule.
	CheckDoc func(DocCheck) []Finding
}

// DocCheck is a protocol's design document to check, at the protocol's
// stage, with the protocol's header it must agree with.
type DocCheck struct {
	Doc, Header         string // paths in the tree
	DocData, HeaderData []byte
	Stage               pvczar.Stage
}

// Check reports where the tree disagrees with itself, with the lifecycle
// or with the registry: SUPPORT.md's syntax and mixed labels, entries
// without a header and headers without an entry, protocols without a
// design document, references to files the tree lacks, design-document
// check errors, prototypes past the stale limit, io headers MAINTAINERS
// covers only by its catch-all, and the registry against SUPPORT.md. h is
// the history up to the tree's revision.
func Check(ctx context.Context, h *History, t *Tree, opt CheckOptions) ([]Finding, error) {
	var out []Finding
	add := func(f Finding) { out = append(out, f) }
	w, err := walkHistory(h, true)
	if err != nil {
		return nil, err
	}
	var headers, protocolIDs []string
	for p := range t.blobs {
		if strings.HasPrefix(p, HeaderDir) && strings.HasSuffix(p, ".h") && !strings.Contains(strings.TrimPrefix(p, HeaderDir), "/") {
			headers = append(headers, p)
			if id, ok := headerProtocol(p); ok {
				protocolIDs = append(protocolIDs, id)
			}
		}
	}
	sort.Strings(headers)
	sort.Strings(protocolIDs)
	docs := map[string]string{} // protocol -> design document
	var docPaths []string
	for _, id := range protocolIDs {
		if chain := w.designDoc(id); len(chain) > 0 && t.Has(chain[len(chain)-1]) {
			docs[id] = chain[len(chain)-1]
			docPaths = append(docPaths, docs[id])
		}
	}
	files, err := t.Read(ctx, append(append([]string{SupportPath, MaintainersPath}, headers...), docPaths...)...)
	if err != nil {
		return nil, err
	}

	// SUPPORT.md.
	sf, stages := checkSupport(files[SupportPath], add, w.protocolOf)
	listed := map[string]bool{}
	if sf != nil {
		for _, e := range sf.Entries {
			id := w.protocolOf(e)
			switch {
			case id == "":
				add(Finding{Rule: RuleSupportUnmapped, Severity: Note, File: SupportPath, Line: e.Line,
					Message: fmt.Sprintf("entry %q names no PV protocol with a header in %s", e.Title, HeaderDir)})
			case !t.Has(HeaderDir + id + ".h"):
				add(Finding{Rule: RuleSupportNoHeader, Severity: Warning, File: SupportPath, Line: e.Line, Protocol: id,
					Message: fmt.Sprintf("entry %q is about %s, but %s%s.h does not exist", e.Title, id, HeaderDir, id)})
			}
			listed[id] = true
		}
	}

	// The protocols' headers and documents.
	for _, id := range protocolIDs {
		header := HeaderDir + id + ".h"
		if sf != nil && !listed[id] {
			add(Finding{Rule: RuleHeaderNoSupport, Severity: Warning, File: header, Line: 1, Protocol: id,
				Message: fmt.Sprintf("%s has no entry in SUPPORT.md's PV sections: its stage is design", id)})
		}
		if docs[id] == "" {
			sev, how := Warning, ""
			if commentLines(files[header]) >= 100 {
				sev, how = Note, " (its header documents it at length)"
			}
			add(Finding{Rule: RuleDesignDocMissing, Severity: sev, File: header, Line: 1, Protocol: id,
				Message: fmt.Sprintf("%s has no design document in %s%s", id, DocDir, how)})
		} else if opt.CheckDoc != nil {
			stage := stages[id]
			if stage == "" {
				stage = pvczar.StageDesign
			}
			for _, f := range opt.CheckDoc(DocCheck{Doc: docs[id], DocData: files[docs[id]], Header: header, HeaderData: files[header], Stage: stage}) {
				f.Protocol = id
				add(f)
			}
		}
	}
	for _, p := range append(append([]string(nil), headers...), docPaths...) {
		for _, f := range danglingReferences(t, p, files[p]) {
			add(f)
		}
	}

	// Prototypes past the stale limit, by SUPPORT.md's history.
	if opt.StaleDays > 0 {
		for _, id := range protocolIDs {
			stage, since := w.supportStageSince(id)
			if stage == pvczar.StagePrototype && !opt.Now.Before(since.Add(time.Duration(opt.StaleDays)*pvczar.Day)) {
				add(Finding{Rule: RuleStalePrototype, Severity: Warning, File: SupportPath, Line: entryLine(sf, w, id), Protocol: id,
					Message: fmt.Sprintf("%s has been a prototype by SUPPORT.md's labels since %s, longer than the stale limit of %d days: propose production, or defer or withdraw it", id, since.Format("2006-01-02"), opt.StaleDays)})
			}
		}
	}

	// MAINTAINERS.
	if mf, err := ParseMaintainers(MaintainersPath, files[MaintainersPath]); err != nil {
		add(findingOf(err, RuleMaintainersSyntax, MaintainersPath))
	} else {
		if f := mf.noCzar(); f != nil {
			add(*f)
		}
		for _, p := range headers {
			if !mf.CoveredBeyondCatchAll(p) {
				add(Finding{Rule: RuleMaintainersCover, Severity: Warning, File: p, Line: 1,
					Message: fmt.Sprintf("no MAINTAINERS entry but the catch-all covers %s", p)})
			}
		}
	}

	// The registry against SUPPORT.md.
	if opt.Registry != nil && sf != nil {
		for _, id := range protocolIDs {
			p := opt.Registry.Protocols[id]
			want := stages[id]
			if want == "" {
				want = pvczar.StageDesign
			}
			switch {
			case p == nil:
				add(Finding{Rule: RuleRegistry, Severity: Note, File: SupportPath, Line: entryLine(sf, w, id), Protocol: id,
					Message: fmt.Sprintf("%s is not in the registry: pvczar xen import adds it", id)})
			case p.Stage != want && p.Stage != pvczar.StageWithdrawn && p.Stage != pvczar.StageDeferred:
				add(Finding{Rule: RuleRegistry, Severity: Warning, File: SupportPath, Line: entryLine(sf, w, id), Protocol: id,
					Message: fmt.Sprintf("the registry has %s at %s; SUPPORT.md's labels imply %s", id, p.Stage, want)})
			}
		}
	}
	SortFindings(out)
	return out, nil
}

// checkSupport parses SUPPORT.md and reports its syntax, sections and
// mixed labels; it returns the file (nil when it does not parse) and the
// stage its labels imply for each protocol.
func checkSupport(data []byte, add func(Finding), protocolOf func(SupportEntry) string) (*SupportFile, map[string]pvczar.Stage) {
	stages := map[string]pvczar.Stage{}
	if data == nil {
		add(Finding{Rule: RuleSupportSections, Severity: Error, File: SupportPath, Message: "the tree has no SUPPORT.md"})
		return nil, stages
	}
	sf, err := ParseSupport(SupportPath, data)
	if err != nil {
		add(findingOf(err, RuleSupportSyntax, SupportPath))
		return nil, stages
	}
	for _, f := range sf.Warnings {
		add(f)
	}
	if sf.Sections < 2 {
		add(Finding{Rule: RuleSupportSections, Severity: Warning, File: SupportPath,
			Message: `SUPPORT.md lacks "Virtual driver support, guest side" or "Virtual device support, host side"`})
	}
	for _, f := range sf.Mixed(SupportPath, protocolOf) {
		add(f)
	}
	byProtocol := map[string][]pvczar.Implementation{}
	for _, e := range sf.Entries {
		for _, st := range e.Statuses {
			byProtocol[protocolOf(e)] = append(byProtocol[protocolOf(e)], e.Implementation(st))
		}
	}
	for id, impls := range byProtocol {
		stages[id] = pvczar.SupportStage(true, impls)
	}
	return sf, stages
}

// findingOf turns a parse error ("FILE:LINE: message") into a finding.
func findingOf(err error, rule, file string) Finding {
	f := Finding{Rule: rule, Severity: Error, File: file, Message: pvczar.ErrorMessage(err)}
	var line int
	if _, scanErr := fmt.Sscanf(strings.TrimPrefix(f.Message, file+":"), "%d:", &line); scanErr == nil {
		f.Line = line
		f.Message = strings.TrimSpace(strings.SplitN(f.Message, ":", 3)[2])
	}
	return f
}

// supportStageSince is the stage SUPPORT.md's labels imply for id at the
// head, and the date of the commit since which they imply it.
func (w *walk) supportStageSince(id string) (pvczar.Stage, time.Time) {
	stage, since := pvczar.StageDesign, time.Time{}
	for _, l := range w.listings[id] {
		if l.stage != stage {
			stage, since = l.stage, w.h.Commits[l.commit].Date
		}
	}
	return stage, since
}

// entryLine is the line of the first SUPPORT.md entry about id, or 0.
func entryLine(sf *SupportFile, w *walk, id string) int {
	if sf == nil {
		return 0
	}
	for _, e := range sf.Entries {
		if w.protocolOf(e) == id {
			return e.Line
		}
	}
	return 0
}

// commentLines counts the lines of C comments in a header, roughly: those
// that start a comment or continue one with " *".
func commentLines(data []byte) int {
	n := 0
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "/*") || strings.HasPrefix(l, "*") || strings.HasPrefix(l, "//") {
			n++
		}
	}
	return n
}

// references are paths of xen.git named in a header or document:
// docs/misc/9pfs.pandoc, tools/xenstore/..., and a header's #include "x.h".
var (
	treePath = regexp.MustCompile("(?:^|[\\s(`\"'<\\[])((?:docs|xen|tools|stubdom|extras)/[A-Za-z0-9_.+/-]*[A-Za-z0-9_+/-])")
	include  = regexp.MustCompile(`^\s*#\s*include\s+"([^"]+)"`)
)

// danglingReferences finds the paths a file names that the tree lacks.
func danglingReferences(t *Tree, file string, data []byte) []Finding {
	var out []Finding
	for i, line := range strings.Split(string(data), "\n") {
		var named []string
		for _, m := range treePath.FindAllStringSubmatch(line, -1) {
			named = append(named, strings.TrimSuffix(m[1], "/"))
		}
		if m := include.FindStringSubmatch(line); m != nil && strings.HasSuffix(file, ".h") {
			named = append(named, path.Join(path.Dir(file), m[1]))
		}
		for _, p := range named {
			if t.Has(p) || strings.ContainsAny(p, "*<>") {
				continue
			}
			msg := fmt.Sprintf("%s names %s, which the tree does not have", path.Base(file), p)
			if alt := t.sameStem(p); alt != "" {
				msg += fmt.Sprintf(" (%s does)", alt)
			}
			out = append(out, Finding{Rule: RuleDanglingReference, Severity: Warning, File: file, Line: i + 1, Message: msg})
		}
	}
	return out
}

// sameStem finds a file of the tree in the same directory as p with p's
// name and another extension (9pfs.markdown became 9pfs.pandoc).
func (t *Tree) sameStem(p string) string {
	want := path.Join(path.Dir(p), stem(p)) + "."
	var found []string
	for f := range t.blobs {
		if strings.HasPrefix(f, want) && !strings.Contains(strings.TrimPrefix(f, want), "/") {
			found = append(found, f)
		}
	}
	sort.Strings(found)
	if len(found) == 0 {
		return ""
	}
	return found[0]
}

// Introduced returns the findings of now that before does not have: the
// problems that the commits between two revisions brought (lines move, so
// findings are matched by rule, file and message).
func Introduced(now, before []Finding) []Finding {
	had := map[string]int{}
	for _, f := range before {
		had[f.key()]++
	}
	var out []Finding
	for _, f := range now {
		if had[f.key()] > 0 {
			had[f.key()]--
			continue
		}
		out = append(out, f)
	}
	return out
}
