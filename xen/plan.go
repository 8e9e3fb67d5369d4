package xen

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// planner turns what the walk found into commands for one registry.
type planner struct {
	plan      *ImportPlan
	reg       *pvczar.Registry
	now       time.Time
	h         *History
	actor     string
	users     []pvczar.Event // users, their addresses and raised roles: first
	events    []planned      // protocol events, in commit order
	demotions []pvczar.Event // lowered roles: last, once the Czar has acted
}

// planned is a protocol command and where it stands in the history.
type planned struct {
	commit int
	order  int // within one commit: registration, document, labels
	ev     pvczar.Event
	date   time.Time // the commit's date
}

// clampNow keeps a commit dated in the future at now.
func (p *planner) clampNow(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Second)
	if !p.now.IsZero() && t.After(p.now) {
		return p.now
	}
	return t
}

// planUsers plans the people of MAINTAINERS: new users, changed addresses and
// roles. People an import added follow MAINTAINERS; people added by hand
// are only ever raised by it.
func (p *planner) planUsers(mf *MaintainersFile, actor string, mc Commit) error {
	if f := mf.noCzar(); f != nil {
		p.plan.Findings = append(p.plan.Findings, *f)
		if len(p.reg.Users) == 0 {
			return pvczar.Errorf(pvczar.EINVALID, "%s: MAINTAINERS at %s has no entry %q with a maintainer, so there is no Czar to create the registry with", p.h.Source, pvczar.ShortCommit(mc.ID), CzarSection)
		}
	}
	at, source := p.clampNow(mc.Date), pvczar.SourceXenPrefix+mc.ID
	names := map[string]string{} // email -> user name
	taken := map[string]bool{}
	for name := range p.reg.Users {
		taken[name] = true
	}
	matched := map[string]bool{}
	for _, person := range p.plan.People {
		if u := p.match(person.Person, matched); u != nil {
			names[person.Email] = u.Name
			matched[u.Name] = true
		}
	}
	add := func(actor string, typ pvczar.EventType, d pvczar.EventData) {
		p.users = append(p.users, pvczar.Event{Type: typ, At: at, Actor: actor, Source: source, Data: d})
	}
	newUser := func(person RolePerson) string {
		name := userName(person.Person, taken)
		taken[name] = true
		names[person.Email] = name
		return name
	}
	if len(p.reg.Users) == 0 {
		for _, person := range p.plan.People {
			if person.Role == pvczar.RoleCzar {
				name := newUser(person)
				add(name, pvczar.EventUserAdded, pvczar.EventData{User: name, Role: pvczar.RoleCzar, Display: person.Name, Email: person.Email})
				actor = name
				break
			}
		}
	}
	if actor == "" {
		actor = p.registryCzar(names)
	}
	if actor == "" {
		return pvczar.Errorf(pvczar.EUNAUTHORIZED, "the registry has no Czar to import as: pass --as")
	}
	p.actor, p.plan.Actor = actor, actor
	for _, person := range p.plan.People {
		name, known := names[person.Email]
		if !known {
			name = newUser(person)
			add(actor, pvczar.EventUserAdded, pvczar.EventData{User: name, Role: person.Role, Display: person.Name, Email: person.Email})
			continue
		}
		u := p.reg.Users[name]
		if u == nil { // added above: the first Czar
			continue
		}
		edit := pvczar.EventData{User: name}
		if !strings.EqualFold(u.Email, person.Email) {
			edit.Email = person.Email
		}
		if u.Display == "" {
			edit.Display = person.Name
		}
		if edit.Email != "" || edit.Display != "" {
			add(actor, pvczar.EventUserEdited, edit)
		}
		target := person.Role
		if !strings.HasPrefix(u.Source, pvczar.SourceXenPrefix) && u.Role.Rank() >= target.Rank() {
			target = u.Role
		}
		p.changeRole(u, target, at, source)
	}
	// People an import added whom MAINTAINERS names no more become reviewers.
	for _, u := range p.reg.SortedUsers() {
		if !matched[u.Name] && strings.HasPrefix(u.Source, pvczar.SourceXenPrefix) && u.Role.Rank() > pvczar.RoleReviewer.Rank() {
			p.changeRole(u, pvczar.RoleReviewer, at, source)
		}
	}
	return nil
}

func (p *planner) changeRole(u *pvczar.User, role pvczar.Role, at time.Time, source string) {
	if role == u.Role {
		return
	}
	ev := pvczar.Event{Type: pvczar.EventUserRoleChanged, At: at, Actor: p.actor, Source: source, Data: pvczar.EventData{User: u.Name, Role: role}}
	if role.Rank() < u.Role.Rank() {
		p.demotions = append(p.demotions, ev)
		return
	}
	p.users = append(p.users, ev)
}

// registryCzar is a Czar of the registry whom MAINTAINERS names as Czar,
// else any Czar of the registry.
func (p *planner) registryCzar(names map[string]string) string {
	for _, person := range p.plan.People {
		if u := p.reg.Users[names[person.Email]]; person.Role == pvczar.RoleCzar && u != nil && u.Role == pvczar.RoleCzar {
			return u.Name
		}
	}
	for _, u := range p.reg.SortedUsers() {
		if u.Role == pvczar.RoleCzar {
			return u.Name
		}
	}
	return ""
}

// match finds the user a MAINTAINERS person is: by address, else by name
// (an address that changed).
func (p *planner) match(person Person, matched map[string]bool) *pvczar.User {
	if u := p.reg.UserByEmail(person.Email); u != nil && !matched[u.Name] {
		return u
	}
	for _, u := range p.reg.SortedUsers() {
		if !matched[u.Name] && u.Display != "" && pvczar.SameName(u.Display, person.Name) {
			return u
		}
	}
	return nil
}

// userName makes a pvczar user name for a person: the local part of the
// address (jgross), or with the domain when it is taken.
func userName(person Person, taken map[string]bool) string {
	local, domain, _ := strings.Cut(person.Email, "@")
	base := strings.Trim(strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, local), ".-_")
	if !pvczar.ValidSlug(base) {
		base = pvczar.Slugify(person.Name)
	}
	if !pvczar.ValidSlug(base) {
		base = "person"
	}
	label, _, _ := strings.Cut(domain, ".")
	for i, name := 1, base; ; i++ {
		if !taken[name] {
			return name
		}
		switch i {
		case 1:
			name = base + "-" + pvczar.Slugify(label)
		default:
			name = fmt.Sprintf("%s-%d", base, i)
		}
	}
}

// protocol plans what the registry lacks of one protocol.
func (p *planner) protocol(w *walk, facts ProtocolFacts) {
	id := facts.ID
	have := p.reg.Protocols[id]
	commit := func(i int) Commit { return w.h.Commits[i] }
	add := func(i, order int, typ pvczar.EventType, d pvczar.EventData) {
		c := commit(i)
		d.Protocol = id
		p.events = append(p.events, planned{commit: i, order: order, date: c.Date,
			ev: pvczar.Event{Type: typ, Actor: p.actor, Source: pvczar.SourceXenPrefix + c.ID, Data: d}})
	}
	// The design document, at every commit that wrote it.
	type write struct {
		commit int
		path   string
	}
	var writes []write
	for _, doc := range w.designDoc(id) {
		for _, i := range w.writes[doc] {
			writes = append(writes, write{i, doc})
		}
	}
	sort.SliceStable(writes, func(i, j int) bool { return writes[i].commit < writes[j].commit })
	if have == nil {
		first, reason := -1, ""
		if i, ok := w.headerAt[id]; ok {
			first, reason = i, fmt.Sprintf("imported from xen.git: %s%s.h added in %s", HeaderDir, id, pvczar.ShortCommit(commit(i).ID))
		}
		if len(writes) > 0 && (first < 0 || writes[0].commit < first) {
			first, reason = writes[0].commit, fmt.Sprintf("imported from xen.git: %s added in %s", writes[0].path, pvczar.ShortCommit(commit(writes[0].commit).ID))
		}
		if ls := w.listings[id]; len(ls) > 0 && (first < 0 || ls[0].commit < first) {
			first, reason = ls[0].commit, fmt.Sprintf("imported from xen.git: listed in SUPPORT.md at %s", pvczar.ShortCommit(commit(ls[0].commit).ID))
		}
		title := protocolTitles[id]
		if title == "" {
			title = id
		}
		since := commit(first).Date
		add(first, 0, pvczar.EventProtocolRegistered, pvczar.EventData{Title: title, Stage: pvczar.StageDesign, Since: &since,
			Header: facts.Header, Commit: commit(first).ID, Owners: []string{p.actor}, Reason: reason})
	}
	if have != nil && have.DesignDoc != nil {
		writes = afterRecorded(writes, func(x write) string { return commit(x.commit).ID }, have.DesignDoc.Commit)
	}
	for _, x := range writes {
		add(x.commit, 1, pvczar.EventEvidenceRecorded, pvczar.EventData{Evidence: pvczar.EvidenceDesignDoc, Path: x.path, Commit: commit(x.commit).ID})
	}
	// SUPPORT.md's labels, at every commit that changed them.
	listings := w.listings[id]
	if have != nil && have.Listed != "" {
		if !inHistory(w.h, have.Listed) {
			p.plan.Findings = append(p.plan.Findings, Finding{Rule: RuleRegistry, Severity: Note, File: SupportPath, Protocol: id,
				Message: fmt.Sprintf("%s's labels were imported from %s, which is not in the history of %s: not imported again", id, pvczar.ShortCommit(have.Listed), pvczar.ShortCommit(w.h.Head))})
			listings = nil
		}
		listings = afterRecorded(listings, func(l listing) string { return commit(l.commit).ID }, have.Listed)
	}
	var stage pvczar.Stage // the stage the protocol has after each listing
	if have != nil {
		stage = have.Stage
	}
	for _, l := range listings {
		c := commit(l.commit)
		since := c.Date
		add(l.commit, 2, pvczar.EventSupportImported, pvczar.EventData{Implementations: l.impls, Commit: c.ID, Path: SupportPath, Since: &since})
		if have == nil {
			continue
		}
		if pr := have.OpenProposal(); pr != nil {
			if implied := l.stage; implied != stage {
				stage = implied
				p.plan.Findings = append(p.plan.Findings, Finding{Rule: RuleStatusDuringVote, Severity: Warning, File: SupportPath, Protocol: id,
					Message: fmt.Sprintf("SUPPORT.md at %s (%s) implies %s for %s while proposal %s (%s to %s) is open", pvczar.ShortCommit(c.ID), c.Date.Format("2006-01-02"), implied, id, pr.ID, pr.From, pr.To)})
			}
		}
	}
}

// afterRecorded drops the items up to and including the one whose commit
// the registry recorded last; when that commit is not among them, only the
// newest item is kept if it is another commit.
func afterRecorded[T any](items []T, commitOf func(T) string, recorded string) []T {
	for i := len(items) - 1; i >= 0; i-- {
		if sameCommit(commitOf(items[i]), recorded) {
			return items[i+1:]
		}
	}
	if len(items) == 0 {
		return nil
	}
	return items[len(items)-1:]
}

// sameCommit compares commit ids of which one may be abbreviated.
func sameCommit(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return strings.HasPrefix(a, b) || strings.HasPrefix(b, a)
}

func inHistory(h *History, commit string) bool {
	for _, c := range h.Commits {
		if sameCommit(c.ID, commit) {
			return true
		}
	}
	return false
}

// finish orders the commands: people, then the protocols' history in
// commit order with non-decreasing times per protocol, then lowered roles.
func (p *planner) finish() {
	sort.SliceStable(p.events, func(i, j int) bool {
		a, b := p.events[i], p.events[j]
		if a.commit != b.commit {
			return a.commit < b.commit
		}
		if a.ev.Data.Protocol != b.ev.Data.Protocol {
			return a.ev.Data.Protocol < b.ev.Data.Protocol
		}
		return a.order < b.order
	})
	last := map[string]time.Time{}
	for id, pr := range p.reg.Protocols {
		last[id] = pr.LastRecord()
	}
	cmds := append([]pvczar.Event(nil), p.users...)
	for _, x := range p.events {
		id := x.ev.Data.Protocol
		at := p.clampNow(x.date)
		if at.Before(last[id]) {
			at = last[id] // the clock of a protocol does not run backwards
		}
		last[id] = at
		x.ev.At = at
		if d := x.ev.Data.Since; d != nil && d.After(at) {
			x.ev.Data.Since = &at
		}
		cmds = append(cmds, x.ev)
	}
	p.plan.Commands = append(cmds, p.demotions...)
}

// landings plans, for each proposal that adopted a thread and whose
// change has not landed yet, the commit that applied the thread's patch:
// the first commit whose Link: or Message-Id: trailer names the thread,
// else the first whose subject is the patch's (PatchTitle) and whose
// SUPPORT.md makes the patch's label changes to the proposal's protocol
// (the patch as ingest read it: Registry.Candidates).
func (p *planner) landings(w *walk) {
	patches := map[string]pvczar.Candidate{}
	for _, c := range p.reg.Candidates {
		patches[c.MessageID] = c
	}
	for _, proto := range p.reg.SortedProtocols() {
		for _, pr := range proto.Proposals {
			if pr.Thread == "" || pr.Landed != nil {
				continue
			}
			patch, read := patches[pr.Thread]
			var title string
			var changes []pvczar.LabelChange
			if read {
				title, changes = PatchTitle(patch.Subject), p.reg.PatchChanges(patch)
			}
			for i, c := range w.h.Commits {
				how := ""
				switch {
				case slices.Contains(c.MessageIDs, pr.Thread):
					how = "its trailer links the thread's mail"
				case read && c.Subject != "" && c.Subject == title && w.applies(i, proto.ID, changes):
					how = "its subject and its SUPPORT.md change are the thread's patch's"
				default:
					continue
				}
				since := c.Date
				p.events = append(p.events, planned{commit: i, order: 3, date: c.Date, ev: pvczar.Event{Type: pvczar.EventProposalLanded, Actor: p.actor,
					Source: pvczar.SourceXenPrefix + c.ID, Data: pvczar.EventData{Protocol: proto.ID, Proposal: pr.ID, Commit: c.ID, Since: &since, Reason: how}}})
				if pr.Status == pvczar.ProposalOpen {
					p.plan.Findings = append(p.plan.Findings, Finding{Rule: RuleRegistry, Severity: Warning, File: SupportPath, Protocol: proto.ID,
						Message: fmt.Sprintf("the change of %s landed in %s (%s) with no decision recorded: the Czar decides it", pr.ID, pvczar.ShortCommit(c.ID), c.Date.Format("2006-01-02"))})
				}
				break
			}
		}
	}
}

// applies reports whether commit i changed protocol's SUPPORT.md labels
// as changes say: each label of the protocol's implementations went from
// its From to its To.
func (w *walk) applies(i int, protocol string, changes []pvczar.LabelChange) bool {
	ls := w.listings[protocol]
	at := slices.IndexFunc(ls, func(l listing) bool { return l.commit == i })
	if at < 0 {
		return false
	}
	var before []pvczar.Implementation
	if at > 0 {
		before = ls[at-1].impls
	}
	label := func(impls []pvczar.Implementation, id string) string {
		for _, impl := range impls {
			if pvczar.ImplementationID(impl.CodeBase, impl.Side, impl.Name) == id {
				return impl.Support
			}
		}
		return ""
	}
	n := 0
	for _, ch := range changes {
		if ch.Protocol != protocol {
			continue
		}
		if label(before, ch.Implementation) != ch.From || label(ls[at].impls, ch.Implementation) != ch.To {
			return false
		}
		n++
	}
	return n > 0
}
