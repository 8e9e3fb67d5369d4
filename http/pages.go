package http

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"github.com/xen-pvczar/pvczar/mail/msgid"
	"github.com/xen-pvczar/pvczar/verify"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xen-pvczar/pvczar"
)

//go:embed templates static
var assets embed.FS

// pages holds the parsed templates, one set per page.
type pages struct {
	byName map[string]*template.Template
}

var pageFuncs = template.FuncMap{
	"aoe": func(t time.Time) template.HTML { // as pvczar.FormatAoE, in two parts a line may break between
		return timeElement(t, pvczar.FormatAoEWall(t)) + " (" + timeElement(t, pvczar.FormatUTC(t)) + ")"
	},
	"utc":        func(t time.Time) template.HTML { return timeElement(t, pvczar.FormatUTC(t)) },
	"day":        func(t time.Time) template.HTML { return timeElement(t, t.UTC().Format("2006-01-02")) },
	"iso":        func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"ago":        ago,
	"until":      until,
	"gitweb":     pvczar.XenFileURL,
	"commitlink": pvczar.XenCommitURL,
	"lore":       pvczar.LoreURL,
	"shortsha":   pvczar.ShortCommit,
	"inc":        func(n int) int { return n + 1 },
}

func newPages() *pages {
	p := &pages{byName: map[string]*template.Template{}}
	layout := template.Must(template.New("layout.html").Funcs(pageFuncs).ParseFS(assets, "templates/layout.html"))
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		base := strings.TrimPrefix(name, "templates/")
		if base == "layout.html" {
			continue
		}
		p.byName[base] = template.Must(template.Must(layout.Clone()).ParseFS(assets, name))
	}
	return p
}

// view is what every page has: who is signed in, the CSRF token for its
// forms, a message after an action, and the page's own data.
type view struct {
	Title   string
	Nav     string
	User    *pvczar.User
	CSRF    string
	Notice  string
	Problem string
	Now     time.Time
	// Refused is the form of this page the rules refused, shown again.
	Refused *refusal
	Data    any
	// Content is the page's own part, rendered from its "content" template.
	Content template.HTML
}

func (p *pages) render(w http.ResponseWriter, status int, name string, v view) {
	if v.Content == "" {
		content, err := p.content(name, v)
		if err != nil {
			http.Error(w, "cannot render the page: "+err.Error(), http.StatusInternalServerError)
			return
		}
		v.Content = content
	}
	// The frame is rendered around the content, which is written as it is:
	// it can be large, and is often shared from the cache.
	var top, bottom bytes.Buffer
	t := p.byName[name]
	if err := errors.Join(t.ExecuteTemplate(&top, "top", v), t.ExecuteTemplate(&bottom, "bottom", v)); err != nil {
		http.Error(w, "cannot render the page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	setPageHeaders(w)
	w.WriteHeader(status)
	w.Write(top.Bytes())
	io.WriteString(w, string(v.Content))
	w.Write(bottom.Bytes())
}

// content renders the page's own part.
func (p *pages) content(name string, v view) (template.HTML, error) {
	var b strings.Builder
	err := p.byName[name].ExecuteTemplate(&b, "content", v)
	return template.HTML(b.String()), err
}

// renderShared renders a page whose own part is the same for everyone who
// reads it: that part is rendered once per evaluation (reg) and URL, and
// only the frame (who is signed in) per request. data is called only when
// the part must be rendered.
func (s *Server) renderShared(w http.ResponseWriter, r *http.Request, reg *pvczar.Registry, name, title, nav string, data func() (any, error)) {
	v := s.newView(r, reg, title, nav, nil)
	key := "content " + r.URL.RequestURI()
	cacheable := !r.URL.Query().Has("now") && v.Refused == nil
	if content, ok := s.cache.getContent(reg, key); ok && cacheable {
		v.Content = content
		s.pages.render(w, http.StatusOK, name, v)
		return
	}
	d, err := data()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Data = d
	content, err := s.pages.content(name, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if cacheable {
		s.cache.putContent(reg, key, content)
	}
	v.Content = content
	s.pages.render(w, http.StatusOK, name, v)
}

// setPageHeaders sets what every HTML page sends: no scripts from anywhere
// but this server, no framing, no sniffing.
func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// errorPage renders an error as a page of the site, with the signed-in
// header and the clock of every other page.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	back := ""
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
		back = ref.RequestURI()
	}
	reg, _ := s.svc.Registry(r.Context(), s.now()) // without it the page still shows the error
	v := s.newView(r, reg, http.StatusText(status), "", map[string]any{
		"Status": status, "StatusText": http.StatusText(status), "Message": msg, "Back": back,
		"SignIn": status == http.StatusUnauthorized})
	v.Notice = ""
	s.pages.render(w, status, "error.html", v)
}

// ago says how long ago t was, in days or hours.
func ago(now, t time.Time) string { return pvczar.FormatDuration(now.Sub(t)) }

// until says how long until t, or that it has passed.
func until(now, t time.Time) string {
	if !t.After(now) {
		return "passed " + pvczar.FormatDuration(now.Sub(t)) + " ago"
	}
	return "in " + pvczar.FormatDuration(t.Sub(now))
}

func (s *Server) registerPages() {
	s.handle("GET", "/{$}", s.pageBoard)
	s.handle("GET", "/protocols/{protocol}", s.pageProtocol)
	s.handle("GET", "/proposals/{proposal}", s.pageProposal)
	s.handle("GET", "/queue", s.pageQueue)
	s.handle("GET", "/activity", s.pageActivity)
	s.handle("GET", "/activity.atom", s.atomFeed)
	s.handle("GET", "/digest", s.pageDigest)
	s.handle("GET", "/digest.txt", s.digestText)
	s.handle("GET", "/chart", s.pageChart)
	s.handle("GET", "/chart.svg", s.chartSVG)
	s.handle("GET", "/protocols/{protocol}/handshake.svg", s.handshakeSVG)
	s.handle("GET", "/away", s.pageAway)
	s.handle("GET", "/signin", s.pageSignIn)
	s.handle("POST", "/signin", s.signIn)
	s.handle("POST", "/signout", s.signOut)
	static, _ := fs.Sub(assets, "static")
	fileServer := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	s.handle("GET", "/static/{file...}", func(w http.ResponseWriter, r *http.Request) {
		// Files only: a folder is not listed.
		if info, err := fs.Stat(static, r.PathValue("file")); err != nil || info.IsDir() {
			s.fail(w, r, pvczar.Errorf(pvczar.ENOTFOUND, "nothing here: %s", r.URL.Path))
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	})
	for _, rt := range commandRoutes {
		s.handleCommand(rt, "POST", "/ui"+rt.Path, s.formCommand(rt))
	}
	s.registerPeoplePages()
}

// newView fills what every page shows.
func (s *Server) newView(r *http.Request, reg *pvczar.Registry, title, nav string, data any) view {
	id := identityOf(r.Context())
	v := view{Title: title, Nav: nav, Now: s.now(), Data: data, Notice: r.URL.Query().Get("done"), Problem: id.sessionProblem}
	if v.Refused = refusalOf(r.Context()); v.Refused != nil && v.Problem == "" {
		v.Problem = "Refused: " + v.Refused.Message
	}
	if id.user != "" && reg != nil {
		v.User = reg.Users[id.user]
		if v.User == nil {
			v.User = &pvczar.User{Name: id.user, Role: pvczar.RoleReader}
		}
	}
	if id.session != nil {
		v.CSRF = id.session.CSRF
	}
	return v
}

// boardColumn is one stage of the board.
type boardColumn struct {
	Stage pvczar.Stage
	Cards []boardCard
}

type boardCard struct {
	Status   pvczar.ProtocolStatus
	Support  []string
	Proposal *pvczar.Proposal
}

// supportSummary counts a protocol's implementations by side and label,
// for a card: "frontend: Supported ×5".
func supportSummary(impls []pvczar.Implementation) []string {
	var out []string
	for _, side := range []string{pvczar.SideFrontend, pvczar.SideBackend} {
		var labels []string
		count := map[string]int{}
		for _, impl := range impls {
			if impl.Side == side && impl.Support != "" {
				if count[impl.Support] == 0 {
					labels = append(labels, impl.Support)
				}
				count[impl.Support]++
			}
		}
		for _, l := range labels {
			s := side + ": " + l
			if count[l] > 1 {
				s += fmt.Sprintf(" ×%d", count[l])
			}
			out = append(out, s)
		}
	}
	return out
}

func (s *Server) pageBoard(w http.ResponseWriter, r *http.Request) {
	reg, now, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderShared(w, r, reg, "board.html", "PV protocols", "board", func() (any, error) {
		return boardData(reg, now), nil
	})
}

func boardData(reg *pvczar.Registry, now time.Time) map[string]any {
	st := reg.Status(now)
	cols := []*boardColumn{{Stage: pvczar.StageDesign}, {Stage: pvczar.StagePrototype}, {Stage: pvczar.StageProduction}}
	side := &boardColumn{Stage: "deferred or withdrawn"}
	for _, ps := range st.Protocols {
		card := boardCard{Status: ps, Proposal: ps.Proposal}
		p := reg.Protocols[ps.ID]
		card.Support = supportSummary(p.Implementations)
		placed := false
		for _, c := range cols {
			if c.Stage == ps.Stage {
				c.Cards, placed = append(c.Cards, card), true
			}
		}
		if !placed {
			side.Cards = append(side.Cards, card)
		}
	}
	if len(side.Cards) > 0 {
		cols = append(cols, side)
	}
	return map[string]any{"Columns": cols, "Queue": st.Queue, "Count": len(st.Protocols)}
}

func (s *Server) pageProtocol(w http.ResponseWriter, r *http.Request) {
	reg, now, p, err := s.protocolIn(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	next := p.NextMove()
	proposals := slices.Clone(p.Proposals)
	slices.Reverse(proposals)
	v := s.newView(r, reg, p.ID+": "+p.Title, "board", nil)
	pv := protocolView{P: p, Next: next, Gates: reg.Gates(p, next), Open: p.OpenProposal(), Proposals: proposals,
		DaysInStage: int(now.Sub(p.StageSince) / pvczar.Day), May: map[string]bool{},
		CodeBases: pvczar.CodeBases, SupportLabels: pvczar.SupportLabels, Matrix: p.ConformanceMatrix()}
	for _, g := range pv.Gates {
		if !g.OK() {
			pv.Failed = append(pv.Failed, g)
		}
	}
	if v.User != nil {
		for name, t := range protocolForms {
			pv.May[name] = pvczar.Permit(v.User, p, t) == nil
		}
		pv.Czar = v.User.Role == pvczar.RoleCzar
	}
	v.Data = pv
	s.renderForUser(w, r, reg, "protocol.html", v)
}

// protocolView is what a protocol's page shows, and which of its forms the
// viewer may use.
type protocolView struct {
	P           *pvczar.Protocol
	Next        pvczar.Stage
	Gates       []pvczar.GateResult
	Failed      []pvczar.GateResult // the gates to Next that fail
	Open        *pvczar.Proposal
	Proposals   []*pvczar.Proposal // newest first
	DaysInStage int
	Czar        bool
	// May says which forms the viewer's role permits, by protocolForms.
	May                      map[string]bool
	CodeBases, SupportLabels []string
	// Matrix is what the implementations conform to: spec versions and
	// their features.
	Matrix pvczar.ConformanceMatrix
}

// protocolForms are the forms of a protocol's page and their commands.
var protocolForms = map[string]pvczar.EventType{
	"evidence": pvczar.EventEvidenceRecorded, "implementation": pvczar.EventImplementationRecorded,
	"propose": pvczar.EventProposalOpened, "waive": pvczar.EventGateWaived, "defer": pvczar.EventProtocolDeferred,
	"resume": pvczar.EventProtocolResumed, "withdraw": pvczar.EventProtocolWithdrawn, "issue-add": pvczar.EventKnownIssueAdded,
	"issue-accept": pvczar.EventKnownIssueAccepted, "issue-close": pvczar.EventKnownIssueClosed,
}

// renderForUser renders a page whose part differs by reader, as it carries
// their forms: the part is rendered once per evaluation, URL and reader,
// with a stand-in for the session's CSRF token, put in for each request.
// A page with a refused form in it is rendered for its request alone.
func (s *Server) renderForUser(w http.ResponseWriter, r *http.Request, reg *pvczar.Registry, name string, v view) {
	if v.User == nil {
		s.pages.render(w, http.StatusOK, name, v)
		return
	}
	key := "content " + r.URL.RequestURI() + " for " + v.User.Name
	cacheable := !r.URL.Query().Has("now") && v.Refused == nil
	content, ok := s.cache.getContent(reg, key)
	if !ok || !cacheable {
		shared := v
		shared.CSRF = csrfStandIn
		var err error
		if content, err = s.pages.content(name, shared); err != nil {
			s.fail(w, r, err)
			return
		}
		if cacheable {
			s.cache.putContent(reg, key, content)
		}
	}
	v.Content = template.HTML(strings.ReplaceAll(string(content), csrfStandIn, v.CSRF))
	s.pages.render(w, http.StatusOK, name, v)
}

// proposalView adds to a proposal what its page shows about the viewer.
type proposalView struct {
	P        *pvczar.Protocol
	Pr       *pvczar.Proposal
	Open     bool
	Czar     bool
	Mine     bool // the viewer proposed it
	CanAct   bool // the viewer may take part (not a reader)
	HoldMine bool
	Kinds    []pvczar.PositionKind
	// Announcement is the Message-ID of pvczar's mail that announced the
	// proposal ("" when the server sends no mail).
	Announcement string
	// Paused: by name, the open objections whose author holds the ball and is away.
	Paused map[string]*pausedLapse
}

func (s *Server) pageProposal(w http.ResponseWriter, r *http.Request) {
	reg, p, pr, err := s.proposalIn(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.newView(r, reg, pr.ID+": "+p.ID+" to "+string(pr.To), "board", nil)
	pv := proposalView{P: p, Pr: pr, Open: pr.Status == pvczar.ProposalOpen,
		Kinds: []pvczar.PositionKind{pvczar.PositionAck, pvczar.PositionReview, pvczar.PositionTest, pvczar.PositionComment, pvczar.PositionAbstain, pvczar.PositionRecuse}}
	pv.Paused = pausedLapses(reg, pr, p.Clock) // p.Clock: the instant the page is evaluated at
	if s.opts.MailDomain != "" {
		pv.Announcement = msgid.Announcement(pr.ID, s.opts.MailDomain)
	}
	if v.User != nil {
		pv.Czar = v.User.Role == pvczar.RoleCzar
		pv.Mine = v.User.Name == pr.Proposer
		pv.CanAct = v.User.Role != pvczar.RoleReader
		for _, h := range pr.Holds {
			pv.HoldMine = pv.HoldMine || (h.Holder == v.User.Name && h.Status == pvczar.HoldActive)
		}
	}
	v.Data = pv
	s.renderForUser(w, r, reg, "proposal.html", v)
}

// csrfStandIn takes the place of a session's CSRF token in a cached page;
// it has only letters and underscores, which no escaping changes.
// It is drawn at random when the server starts, so that no text a user
// writes into a page can hold it and be replaced by a reader's token.
var csrfStandIn = "PVCZAR_CSRF_" + strings.ReplaceAll(randomSecret(), "-", "_")

func (s *Server) pageQueue(w http.ResponseWriter, r *http.Request) {
	reg, now, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := reg.Status(now).Queue
	type section struct {
		Name, Explain string
		Items         []queueItem
	}
	proposals := func(ids []string) []queueItem { return proposalItems(reg, now, ids) }
	sections := []section{
		{"Ready", "the window has closed, the quorum is met, nothing blocks: waiting for the Czar's decision", proposals(q.Ready)},
		{"Overdue", "ready and waiting for a decision for too long", proposals(q.Overdue)},
		{"Blocked", "a blocking objection or a hold stops it", proposals(q.Blocked)},
		{"Stalled", "the proposer has not answered an objection for too long", proposals(q.Stalled)},
		{"Lapsed", "objections whose authors stopped answering; they no longer block", proposals(q.Lapsed)},
		{"Stale", "protocols in prototype for too long with no proposal", protocolItems(reg, now, q.Stale, false)},
		{"SUPPORT.md disagrees", "protocols whose stage differs from what xen.git's SUPPORT.md labels imply, or with one implementation under several labels", protocolItems(reg, now, q.Support, true)},
		{"Landed without a decision", "open proposals whose SUPPORT.md change landed in xen.git with no decision recorded", proposals(q.Landed)},
		{"SUPPORT.md patches on the list", "patches on xen-devel that change a PV protocol's status in SUPPORT.md and that no proposal has adopted: the command opens the proposal on the patch's thread", candidateItems(now, q.Candidates)},
		{"Who holds the ball", "every open objection of every open proposal: who must act next, and since when, longest first", ballItems(reg, now)},
		{"Away", "absences under way or to come: while one is under way, the lapse clock of its author's objections is paused", awayItems(reg, now)},
	}
	s.renderShared(w, r, reg, "queue.html", "The Czar's queue", "queue", func() (any, error) { return sections, nil })
}

// queueItem is one entry of the Czar's queue, with its context: what it is,
// what blocks it, who holds the ball, and how long it has waited.
type queueItem struct {
	ID, Link, What, Blocker, Ball, Age string
	Command                            string // the command that acts on it
}

// candidateItems describes the SUPPORT.md patches of the queue.
func candidateItems(now time.Time, cs []pvczar.CandidateItem) []queueItem {
	var items []queueItem
	for _, c := range cs {
		items = append(items, queueItem{ID: c.Protocol, Link: pvczar.LoreURL(c.MessageID),
			What:    fmt.Sprintf("%s -> %s by %q (%s)", c.From, c.To, c.Subject, strings.Join(c.Changes, "; ")),
			Blocker: c.Note, Age: "posted " + pvczar.FormatDuration(now.Sub(c.At)) + " ago", Command: c.Command})
	}
	return items
}

// proposalItems describes proposals of the queue ("ID", or "ID/objection"
// for a lapsed objection).
func proposalItems(reg *pvczar.Registry, now time.Time, ids []string) []queueItem {
	var items []queueItem
	for _, id := range ids {
		prID, objection, _ := strings.Cut(id, "/")
		p, pr, err := reg.Proposal(prID)
		if err != nil {
			continue
		}
		it := queueItem{ID: id, Link: "/proposals/" + prID, What: fmt.Sprintf("%s from %s to %s, proposed by %s", p.ID, pr.From, pr.To, pr.Proposer),
			Age: "opened " + pvczar.FormatDuration(now.Sub(pr.Opened)) + " ago"}
		if pr.ReadySince != nil {
			it.Age += ", ready for " + pvczar.FormatDuration(now.Sub(*pr.ReadySince))
		}
		for _, o := range pr.Objections {
			if (objection == "" && o.Blocking) || o.Name == objection {
				it.Blocker = fmt.Sprintf("objection %s by %s (%s)", o.Name, o.Author, o.Status)
				if o.Status == pvczar.ObjectionOpen {
					it.Ball = fmt.Sprintf("with the %s for %s", o.Ball, pvczar.FormatDuration(now.Sub(o.BallSince)))
				}
				break
			}
		}
		for _, h := range pr.Holds {
			if it.Blocker == "" && h.Status == pvczar.HoldActive {
				it.Blocker = fmt.Sprintf("a hold by %s until %s", h.Holder, pvczar.FormatUTC(h.Expires))
			}
		}
		items = append(items, it)
	}
	return items
}

// protocolItems describes protocols of the queue: how long they have sat
// in their stage, and with support, what SUPPORT.md says.
func protocolItems(reg *pvczar.Registry, now time.Time, ids []string, support bool) []queueItem {
	var items []queueItem
	for _, id := range ids {
		p := reg.Protocols[id]
		if p == nil {
			continue
		}
		it := queueItem{ID: id, Link: "/protocols/" + id, What: fmt.Sprintf("%s: %s", p.ID, p.Title),
			Age: fmt.Sprintf("in %s since %s (%s)", p.Stage, p.StageSince.UTC().Format("2006-01-02"), pvczar.FormatDuration(now.Sub(p.StageSince)))}
		if support {
			it.Blocker = strings.Join(p.SupportFindings(), "; ")
		}
		items = append(items, it)
	}
	return items
}

// activityPage is one page of the activity, newest first.
const activityPageSize = 100

func (s *Server) pageActivity(w http.ResponseWriter, r *http.Request) {
	reg, _, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderShared(w, r, reg, "activity.html", "Activity", "activity", func() (any, error) {
		events, older, err := s.recentEvents(r, activityPageSize)
		return map[string]any{"Events": events, "Older": older}, err
	})
}

// recentEvents returns up to n events before ?before= (a seq), newest first,
// and the cursor of the next older page.
func (s *Server) recentEvents(r *http.Request, n int) ([]pvczar.Event, string, error) {
	before := int64(0)
	if v := r.URL.Query().Get("before"); v != "" {
		b, err := strconv.ParseInt(v, 10, 64)
		if err != nil || b < 1 {
			return nil, "", pvczar.Errorf(pvczar.EINVALID, "query parameter before: want an event number, got %q", v)
		}
		before = b
	}
	events, err := s.svc.Events(r.Context(), pvczar.EventFilter{Before: before, Limit: n, Newest: true})
	if err != nil {
		return nil, "", err
	}
	older := ""
	if len(events) == n && events[n-1].Seq > 1 {
		older = strconv.FormatInt(events[n-1].Seq, 10)
	}
	pvczar.NewestFirst(events) // within the page, by their time, as `pvczar log` shows them
	return events, older, nil
}

func (s *Server) pageDigest(w http.ResponseWriter, r *http.Request) {
	reg, now, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderShared(w, r, reg, "digest.html", "Digest", "digest", func() (any, error) { return reg.Digest(now), nil })
}

func (s *Server) digestText(w http.ResponseWriter, r *http.Request) {
	reg, now, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, reg.Digest(now))
}

func (s *Server) pageChart(w http.ResponseWriter, r *http.Request) {
	reg, now, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderShared(w, r, reg, "chart.html", "Time in each stage", "chart", func() (any, error) {
		return template.HTML(stageChart(reg, now)), nil
	})
}

func (s *Server) chartSVG(w http.ResponseWriter, r *http.Request) {
	reg, now, err := s.registry(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	fmt.Fprint(w, stageChart(reg, now))
}

// handshakeSVG draws the shortest trace by which the handshake of a
// protocol's latest spec fails, as a sequence diagram: the counterexample
// of its handshake gate.
func (s *Server) handshakeSVG(w http.ResponseWriter, r *http.Request) {
	_, _, p, err := s.protocolIn(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The verdict recorded with the spec says whether there is a trace to
	// draw: no search runs for a sound handshake, or one past its bounds.
	if h := specHandshake(p); h == nil || h.Bounded || len(h.Failures)+len(h.AfterFaults) == 0 {
		s.fail(w, r, pvczar.Errorf(pvczar.ENOTFOUND, "the handshake of %s's spec has no failure to draw", p.ID))
		return
	}
	key := ""
	if p.Spec != nil {
		key = p.Spec.Digest
		if p.ProductionSpec != nil {
			key += " " + p.ProductionSpec.Digest
		}
	}
	svg, ok := s.handshakes.get(key)
	if !ok {
		trace, err := verify.HandshakeTrace(r.Context(), s.svc, p)
		if err == nil && trace == nil {
			err = pvczar.Errorf(pvczar.ENOTFOUND, "the handshake of %s's spec has no failure to draw", p.ID)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		svg = trace.SVG()
		s.handshakes.put(key, svg)
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	io.WriteString(w, svg)
}

// specHandshake is the verdict recorded on a protocol's latest spec, or nil.
func specHandshake(p *pvczar.Protocol) *pvczar.HandshakeRecord {
	if p.Spec == nil {
		return nil
	}
	return p.Spec.Handshake
}

// svgCache keeps the diagrams of handshake failures by the digests of the
// specs they come from (a spec's, and the production spec's it was paired
// with), so that a page's readers do not make the server search again: a
// few dozen entries, forgotten all at once when full.
type svgCache struct {
	mu sync.Mutex
	m  map[string]string
}

const svgCacheSize = 64

func (c *svgCache) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	svg, ok := c.m[key]
	return svg, ok
}

func (c *svgCache) put(key, svg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= svgCacheSize {
		c.m = map[string]string{}
	}
	c.m[key] = svg
}

// timeElement shows an instant as text in a <time> element, which the
// style sheet never breaks across lines (a date broke at its hyphens on
// phones).
func timeElement(t time.Time, text string) template.HTML {
	return template.HTML(`<time datetime="` + t.UTC().Format(time.RFC3339) + `">` + template.HTMLEscapeString(text) + `</time>`)
}

// ballItems lists who holds the ball of every open objection of every open
// proposal, the longest held first.
func ballItems(reg *pvczar.Registry, now time.Time) []queueItem {
	type held struct {
		item  queueItem
		since time.Time
	}
	var all []held
	for _, p := range reg.SortedProtocols() {
		pr := p.OpenProposal()
		if pr == nil {
			continue
		}
		for _, o := range pr.Objections {
			if o.Status != pvczar.ObjectionOpen {
				continue
			}
			who := pr.BallHolder(o)
			all = append(all, held{queueItem{ID: pr.ID + "/" + o.Name, Link: "/proposals/" + pr.ID + "#objection-" + o.Name,
				What: fmt.Sprintf("objection %s by %s on %s", o.Name, o.Author, pr.ID),
				Ball: fmt.Sprintf("with %s (the %s) since %s", who, o.Ball, pvczar.FormatUTC(o.BallSince)),
				Age:  "for " + pvczar.FormatDuration(now.Sub(o.BallSince))}, o.BallSince})
			if a := reg.AwayAt(o.Author, now); a != nil && o.Ball == pvczar.BallObjector {
				all[len(all)-1].item.Ball += fmt.Sprintf(", away until %s: the lapse clock is paused", pvczar.FormatAoE(a.Until))
			}
		}
	}
	slices.SortStableFunc(all, func(a, b held) int { return a.since.Compare(b.since) })
	items := make([]queueItem, len(all))
	for i, h := range all {
		items[i] = h.item
	}
	return items
}
