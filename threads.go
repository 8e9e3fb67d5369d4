package pvczar

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Xen changes a protocol's status by a `[PATCH] SUPPORT.md: ...` thread on
// xen-devel, acked there and committed to xen.git. pvczar follows such
// threads as they are:
//
//   - a proposal may adopt an existing thread (proposal.opened with
//     Thread): replies in it belong to the proposal as replies below
//     pvczar's own announcement do (Registry.ProposalByThread);
//   - mail ingest records each patch that changes a PV protocol's Status
//     line as a candidate (support.candidate), which the Czar's queue
//     lists with the command that opens the proposal on its thread;
//   - the import of xen.git records the commit that applied an adopted
//     thread's patch (proposal.landed); a proposal whose change landed
//     with no decision is the Czar's to decide.

// EventSupportCandidate records a mail whose patch changes the Status
// line of a PV protocol's entry in SUPPORT.md: a proposal candidate. Only
// mail ingest writes it: its source is the mail's ("mail:<Message-ID>"),
// its key CandidateKey, its time the mail's date, and its actor the sender
// (their pvczar name, or ActorMail). Like mail.unapplied it lives in
// MailStream and changes no protocol.
const EventSupportCandidate EventType = "support.candidate"

// EventProposalLanded records that the xen.git commit that applied the
// patch of a proposal's adopted thread landed: its source is
// "xen.git:<commit>", Commit the commit, Since the commit's date, and
// Reason how the import matched it. A proposal may be decided or open;
// an open one is the Czar's to decide.
const EventProposalLanded EventType = "proposal.landed"

// maxMessageID bounds a Message-ID pvczar accepts (RFC 5322 lines are at
// most 998 characters; real ones are far shorter).
const maxMessageID = 250

// NormalizeMessageID returns a Message-ID without its angle brackets and
// surrounding space, or an error naming field when it is not one:
// local@domain, printable ASCII, no space, no brackets inside.
func NormalizeMessageID(field, s string) (string, error) {
	id := strings.TrimSpace(s)
	if strings.HasPrefix(id, "<") && strings.HasSuffix(id, ">") {
		id = strings.TrimSpace(id[1 : len(id)-1])
	}
	bad := func(why string) error {
		return Errorf(EINVALID, "%s: %q is not a Message-ID (%s); give it as the mail's Message-ID header has it, with or without angle brackets: local@domain", field, clipText(s, 80), why)
	}
	switch local, domain, ok := strings.Cut(id, "@"); {
	case id == "":
		return "", Errorf(EINVALID, "%s: a Message-ID is required", field)
	case len(id) > maxMessageID:
		return "", bad(fmt.Sprintf("longer than %d characters", maxMessageID))
	case !ok || local == "" || domain == "" || strings.Contains(domain, "@"):
		return "", bad("it needs one @ between a local part and a domain")
	}
	for _, c := range []byte(id) {
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' {
			return "", bad("it may hold printable ASCII only, with no space, quote, backslash or bracket")
		}
	}
	return id, nil
}

// clipText shortens s to n bytes at most, for messages.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) { // never half a character
		cut--
	}
	return s[:cut] + "..."
}

// ProposalByThread returns the open proposal that adopted a thread whose
// root is one of ids: pass a mail's In-Reply-To and References to learn
// whether it is a reply in an adopted thread. The thread's root itself
// (the patch) is not a reply: its trailers are the author's. A thread is
// adopted by one open proposal at a time; once that proposal is decided
// or withdrawn, replies in its thread belong to no proposal.
func (r *Registry) ProposalByThread(ids ...string) (string, bool) {
	for _, id := range ids {
		if pr, ok := r.threads[strings.Trim(strings.TrimSpace(id), "<>")]; ok {
			return pr, true
		}
	}
	return "", false
}

// checkThread normalises the thread a proposal adopts and checks that no
// open proposal holds it.
func (r *Registry) checkThread(d *EventData) error {
	if d.Thread == "" {
		return nil
	}
	id, err := NormalizeMessageID("thread", d.Thread)
	if err != nil {
		return err
	}
	if other, ok := r.threads[id]; ok {
		return Errorf(ECONFLICT, "thread: <%s> is the thread of open proposal %s already (one open proposal per thread)", id, other)
	}
	d.Thread = id
	return nil
}

// LabelChange is one change a SUPPORT.md patch makes to a PV protocol's
// status lines: an implementation's label from From to To ("" for a line
// the patch adds, or removes).
type LabelChange struct {
	// Protocol is the protocol the entry's title names; "" when the
	// reader of the patch could not tell, and Decide finds it among the
	// registry's protocols by the title's words (PV Foo: foo, fooif or pvfoo).
	Protocol       string `json:"protocol"`
	Entry          string `json:"entry"`          // SUPPORT.md's entry title: "PVCalls (frontend)"
	Implementation string `json:"implementation"` // pvczar's id, e.g. linux-frontend
	Side           string `json:"side"`
	Name           string `json:"name,omitempty"` // as SUPPORT.md names it: `QEMU (xen_disk)`
	From           string `json:"from,omitempty"`
	To             string `json:"to,omitempty"`
}

// String says the change in words.
func (c LabelChange) String() string {
	what := c.Protocol + " " + c.Implementation
	switch {
	case c.From == "":
		return fmt.Sprintf("%s listed as %s", what, c.To)
	case c.To == "":
		return fmt.Sprintf("%s (%s) no longer listed", what, c.From)
	}
	return fmt.Sprintf("%s: %s -> %s", what, c.From, c.To)
}

// Candidate is a patch on the list that changes a PV protocol's status in
// SUPPORT.md: the fold of a support.candidate event.
type Candidate struct {
	MessageID string        `json:"message_id"`
	Subject   string        `json:"subject"`
	At        time.Time     `json:"at"` // the mail's date
	Sender    string        `json:"sender,omitempty"`
	User      string        `json:"user,omitempty"` // the sender's pvczar name, if pvczar knows them
	Changes   []LabelChange `json:"changes"`
}

// CandidateKey is the deduplication key of the support.candidate event of
// the mail messageID: reading the mail again records nothing new.
func CandidateKey(messageID string) string {
	return SourceMailPrefix + messageID + "/candidate"
}

// decideCandidate checks a support.candidate event: made by mail ingest
// from one mail; it names its sender. Which protocols its entries are
// about is read when the queue is (PatchChanges): a store decides it
// with no protocol at hand, as it belongs to none.
func (r *Registry) decideCandidate(cmd *Event) error {
	d := &cmd.Data
	id, err := NormalizeMessageID("message_id", d.MessageID)
	if err != nil {
		return err
	}
	if cmd.Source != SourceMailPrefix+id || cmd.Key != CandidateKey(id) {
		return Errorf(EINVALID, "%s events are made by mail ingest, with the mail's Message-ID as their source and key", cmd.Type)
	}
	d.MessageID = id
	if err := requireText("the subject", d.Subject); err != nil {
		return err
	}
	if len(d.Changes) == 0 {
		return Errorf(EINVALID, "changes: a candidate changes at least one status line")
	}
	for i, c := range d.Changes {
		if err := requireText(fmt.Sprintf("changes[%d]: the entry", i), c.Entry); err != nil {
			return err
		}
		if c.From == c.To {
			return Errorf(EINVALID, "changes[%d]: %s's label does not change", i, c.Implementation)
		}
		for _, label := range []string{c.From, c.To} {
			if _, err := ParseSupport(label); label != "" && err != nil {
				return Errorf(EINVALID, "changes[%d]: %s", i, ErrorMessage(err))
			}
		}
	}
	cmd.Actor, d.User = ActorMail, ""
	if u := r.UserByEmail(d.Email); u != nil && d.Email != "" {
		cmd.Actor, d.User = u.Name, u.Name
	}
	return nil
}

// PatchChanges returns the changes of a candidate that are about
// protocols pvczar knows, each with its protocol.
func (r *Registry) PatchChanges(c Candidate) []LabelChange {
	var out []LabelChange
	for _, ch := range c.Changes {
		if ch.Protocol = r.entryProtocol(ch.Protocol, ch.Entry); ch.Protocol != "" {
			out = append(out, ch)
		}
	}
	return out
}

// entryProtocol is the protocol of a SUPPORT.md entry: named, if the
// registry knows it, else the first word of the title that is a
// protocol's id, with "if" or "pv" or neither (PV Foo: fooif); "" for none.
func (r *Registry) entryProtocol(named, title string) string {
	if named != "" {
		if r.Protocols[named] != nil {
			return named
		}
		return ""
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(title), func(c rune) bool { return strings.ContainsRune(" (),/", c) }) {
		for _, id := range []string{w, w + "if", "pv" + w} {
			if w != "pv" && r.Protocols[id] != nil {
				return id
			}
		}
	}
	return ""
}

// Landing is the xen.git commit that applied a proposal's patch.
type Landing struct {
	Commit string    `json:"commit"`
	At     time.Time `json:"at"`  // the commit's date
	How    string    `json:"how"` // how the import matched it to the thread
}

// decideLanded checks a proposal.landed event, which an import of xen.git
// makes (as the Czar) for a proposal that adopted a thread.
func decideLanded(cmd *Event, actor *User, p *Protocol) error {
	d := &cmd.Data
	if err := Permit(actor, p, cmd.Type); err != nil {
		return err
	}
	if d.Commit == "" || cmd.Source != SourceXenPrefix+d.Commit {
		return Errorf(EINVALID, "a landing names its xen.git commit, as its source %q", SourceXenPrefix+"<commit>")
	}
	if d.Since == nil {
		return Errorf(EINVALID, "since: the commit's date is required")
	}
	pr := p.proposal(d.Proposal)
	switch {
	case pr == nil:
		return Errorf(ENOTFOUND, "unknown proposal %q", d.Proposal)
	case pr.Thread == "":
		return Errorf(ECONFLICT, "proposal %s adopted no xen-devel thread: no patch of its can land", pr.ID)
	case pr.Landed != nil:
		return Errorf(ECONFLICT, "the change of %s landed already, in %s", pr.ID, ShortCommit(pr.Landed.Commit))
	}
	since := d.Since.UTC().Truncate(time.Second)
	d.Since = &since
	return requireText("how the commit was matched (reason)", d.Reason)
}

// CandidateItem is a candidate as the Czar's queue lists it: for one
// protocol, the move its changes imply and the command that opens the
// proposal on its thread.
type CandidateItem struct {
	MessageID string    `json:"message_id"`
	Subject   string    `json:"subject"`
	At        time.Time `json:"at"`
	Protocol  string    `json:"protocol"`
	From      Stage     `json:"from"`
	To        Stage     `json:"to"`
	Changes   []string  `json:"changes"`
	Command   string    `json:"command"`
	// Note says why the command would be refused now, if it would.
	Note string `json:"note,omitempty"`
}

// ProposeCommand is the command that opens a proposal of protocol on the
// thread messageID.
func ProposeCommand(protocol, messageID string) string {
	return fmt.Sprintf("pvczar propose %s --thread '<%s>'", protocol, messageID)
}

// candidateItems lists the candidates the Czar may turn into proposals:
// those no proposal adopted whose changes imply the next move of their
// protocol, as SUPPORT.md's labels now stand. A candidate whose change
// landed (imported) implies no move any more, and leaves the queue.
func (r *Registry) candidateItems() []CandidateItem {
	adopted := map[string]bool{}
	for _, p := range r.Protocols {
		for _, pr := range p.Proposals {
			if pr.Thread != "" {
				adopted[pr.Thread] = true
			}
		}
	}
	out := []CandidateItem{}
	for _, c := range r.Candidates {
		if adopted[c.MessageID] {
			continue
		}
		changes := r.PatchChanges(c)
		var ids []string
		for _, ch := range changes {
			if !slices.Contains(ids, ch.Protocol) {
				ids = append(ids, ch.Protocol)
			}
		}
		for _, id := range ids {
			p := r.Protocols[id]
			if p == nil {
				continue
			}
			var words []string
			for _, ch := range changes {
				if ch.Protocol == id {
					words = append(words, ch.String())
				}
			}
			move := p.impliedMove(applyChanges(p.listed(), id, changes))
			if move == "" || move != p.NextMove() {
				continue
			}
			it := CandidateItem{MessageID: c.MessageID, Subject: c.Subject, At: c.At, Protocol: id, From: p.Stage, To: move,
				Changes: words, Command: ProposeCommand(id, c.MessageID)}
			if pr := p.OpenProposal(); pr != nil {
				it.Note = fmt.Sprintf("the open proposal %s (decide or withdraw it first)", pr.ID)
			}
			out = append(out, it)
		}
	}
	return out
}

// applyChanges returns the listing impls after the changes to protocol.
func applyChanges(impls []Implementation, protocol string, changes []LabelChange) []Implementation {
	out := slices.Clone(impls)
	for _, ch := range changes {
		if ch.Protocol != protocol {
			continue
		}
		i := slices.IndexFunc(out, func(impl Implementation) bool { return impl.ID == ch.Implementation })
		switch {
		case i < 0 && ch.To != "":
			out = append(out, Implementation{ID: ch.Implementation, Side: ch.Side, Name: ch.Name, Support: ch.To})
		case i >= 0 && ch.To == "":
			out = slices.Delete(out, i, i+1)
		case i >= 0:
			out[i].Support = ch.To
		}
	}
	return out
}

// landedUndecided lists the open proposals whose change landed in
// xen.git: the commit is in, and no decision is recorded.
func (r *Registry) landedUndecided() []*Proposal {
	var out []*Proposal
	for _, p := range r.SortedProtocols() {
		if pr := p.OpenProposal(); pr != nil && pr.Landed != nil {
			out = append(out, pr)
		}
	}
	return out
}
