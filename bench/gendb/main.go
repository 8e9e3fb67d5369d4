// Command gendb fills a new SQLite pvczar database with a large, realistic
// registry for benchmarks of the web server.
//
//	go run ./bench/gendb -db PATH [-protocols 200] [-proposals 2000] [-events 100000] [-replace] [-seed 1]
//
// Every event is a real command passed to Store.Act, so the rules check it as
// they would check a person's: a Czar, maintainers, contributors who own the
// protocols and reviewers register protocols, record evidence, propose moves
// and discuss them with positions and objections until the Czar accepts or
// rejects them or their proposer withdraws them. A simulated clock starts on
// 2020-01-01 and only moves forward; the scheduler's tick runs every six
// simulated hours, so the clock's events (windows closing, objections lapsing, ...) are
// in the log too. Some protocols are left with one open proposal.
//
// Besides the database, gendb writes PATH.open, the ids of the open
// proposals, one a line, and PATH.tokens, API tokens of the Czar and of one
// maintainer as lines "user secret". The random seed is fixed, so two runs
// with the same flags log the same commands.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/sqlite"
	"github.com/xen-pvczar/pvczar/sqlstore"
)

// The people of the registry.
const (
	czar            = "czar"
	nMaintainers    = 20
	nContributors   = 20
	nReviewers      = 40
	tokenMaintainer = "maint01" // the maintainer who gets an API token
)

// tickEvery is how often the simulated scheduler applies the clock. A tick
// evaluates the whole registry, so it is not cheap; the clock events carry
// the instant their rule fired, whenever the tick runs.
const tickEvery = 6 * time.Hour

// start is when the simulated history begins.
var start = time.Date(2020, 1, 1, 9, 0, 0, 0, time.UTC)

func main() {
	var o options
	flag.StringVar(&o.db, "db", "", "the SQLite `file` to create (required)")
	flag.IntVar(&o.protocols, "protocols", 200, "how many protocols to register")
	flag.IntVar(&o.proposals, "proposals", 2000, "how many proposals to open in all")
	flag.IntVar(&o.events, "events", 100000, "about how many events the log should hold")
	flag.BoolVar(&o.replace, "replace", false, "delete the database at -db first, if there is one")
	flag.Uint64Var(&o.seed, "seed", 1, "the random seed")
	flag.Parse()
	if o.db == "" || flag.NArg() > 0 || o.protocols < 1 || o.proposals < 0 {
		flag.Usage()
		os.Exit(2)
	}
	// Every command makes garbage in proportion to its protocol's size: let
	// the heap grow further between collections (it stays a few hundred MB).
	debug.SetGCPercent(400)
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "gendb:", err)
		os.Exit(1)
	}
}

// options are the command line's settings.
type options struct {
	db                           string
	protocols, proposals, events int
	replace                      bool
	seed                         uint64
}

// run fills the database, then writes the list of open proposals and the
// tokens beside it.
func run(ctx context.Context, o options) error {
	if err := removeOld(o.db, o.replace); err != nil {
		return err
	}
	began := time.Now()
	store, err := sqlite.Open(ctx, o.db, true, pvczar.DefaultConfig())
	if err != nil {
		return err
	}
	defer store.Close()
	g := newGenerator(ctx, store, o)
	if err := withBuildIndexes(ctx, o.db, g.run); err != nil {
		return err
	}
	reg, err := store.Registry(ctx, g.clock)
	if err != nil {
		return err
	}
	if err := writeOpen(o.db+".open", reg); err != nil {
		return err
	}
	if err := writeTokens(ctx, store, o.db+".tokens"); err != nil {
		return err
	}
	printSummary(o.db, reg, g, time.Since(began))
	return nil
}

// indexedTables are the projection's tables that the store rewrites by
// protocol (DELETE ... WHERE protocol = ?) and that have no index on that
// column (see sqlstore/migrations): without one, every command scans them
// whole, so filling the log takes time quadratic in its size.
var indexedTables = []string{"implementations", "proposals", "objections", "positions"}

// withBuildIndexes runs fill with an index on the protocol column of each
// of indexedTables, and drops the indexes afterwards, so that the server is
// measured on the schema its store creates.
func withBuildIndexes(ctx context.Context, path string, fill func() error) error {
	// Package sqlite's import of modernc.org/sqlite registers the driver.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	for _, t := range indexedTables {
		if _, err := db.ExecContext(ctx, "CREATE INDEX gendb_"+t+" ON "+t+" (protocol)"); err != nil {
			return err
		}
	}
	err = fill()
	for _, t := range indexedTables {
		_, dropErr := db.ExecContext(ctx, "DROP INDEX gendb_"+t)
		err = errors.Join(err, dropErr)
	}
	return err
}

// removeOld refuses to touch an existing database unless told to replace it.
func removeOld(path string, replace bool) error {
	if _, err := os.Stat(path); err == nil && !replace {
		return fmt.Errorf("%s exists: pass -replace to delete it", path)
	}
	for _, suffix := range []string{"", "-wal", "-shm", ".open", ".tokens"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// writeOpen writes the ids of the open proposals to path, one a line.
func writeOpen(path string, reg *pvczar.Registry) error {
	var b strings.Builder
	for _, p := range reg.SortedProtocols() {
		if pr := p.OpenProposal(); pr != nil {
			fmt.Fprintln(&b, pr.ID)
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// writeTokens creates API tokens for the Czar and one maintainer, without
// expiry, and writes them to path as lines "user secret".
func writeTokens(ctx context.Context, store *sqlstore.Store, path string) error {
	var b strings.Builder
	for _, user := range []string{czar, tokenMaintainer} {
		secret, _, err := store.CreateToken(ctx, user, "benchmark", time.Now(), 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %s\n", user, secret)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// printSummary says what is in the database and how long filling it took.
func printSummary(db string, reg *pvczar.Registry, g *generator, took time.Duration) {
	stages := map[pvczar.Stage]int{}
	statuses := map[string]int{}
	proposals := 0
	for _, p := range reg.Protocols {
		stages[p.Stage]++
		for _, pr := range p.Proposals {
			statuses[pr.Status]++
			proposals++
		}
	}
	fmt.Printf("gendb: filled %s in %.1fs (%.0f events/s)\n", db, took.Seconds(), float64(g.logged)/took.Seconds())
	fmt.Printf("  events          %d (%d by the clock), from %s to %s\n", g.logged, g.ticked, start.Format(time.DateOnly), g.clock.Format(time.DateOnly))
	fmt.Printf("  users           %d\n", len(reg.Users))
	fmt.Printf("  protocols       %d (design %d, prototype %d, production %d)\n", len(reg.Protocols),
		stages[pvczar.StageDesign], stages[pvczar.StagePrototype], stages[pvczar.StageProduction])
	fmt.Printf("  proposals       %d (accepted %d, rejected %d, withdrawn %d, open %d)\n", proposals,
		statuses[pvczar.ProposalAccepted], statuses[pvczar.ProposalRejected], statuses[pvczar.ProposalWithdrawn], statuses[pvczar.ProposalOpen])
	fmt.Printf("  open proposals  listed in %s.open\n", db)
	fmt.Printf("  API tokens      %s.tokens (%s, %s)\n", db, czar, tokenMaintainer)
}

// step is one command a protocol's people will give, and when.
type step struct {
	at  time.Time
	cmd pvczar.Event
}

// protocol is the plan for one protocol.
type protocol struct {
	id       string
	owner    string       // the contributor who proposes its moves
	stage    pvczar.Stage // its stage once every step so far has run
	evidence pvczar.Stage // the stage whose gates its evidence covers
	quota    int          // proposals still to open
	openLast bool         // leave the last proposal open
	opened   int          // proposals opened so far
	issues   int          // known issues recorded so far
	steps    []step       // planned and not yet run, in time order
}

// Outcomes of a proposal.
const (
	outcomeAccept   = "accept"
	outcomeReject   = "reject"
	outcomeWithdraw = "withdraw"
	outcomeOpen     = "open"
)

// generator runs the simulation: it plans each protocol's steps and runs
// them in time order through the store.
type generator struct {
	ctx   context.Context
	store *sqlstore.Store
	rng   *rand.Rand
	cfg   pvczar.Config
	opts  options

	clock    time.Time // the time of the latest command
	nextTick time.Time

	logged        int // events in the log
	ticked        int // of which by the clock
	queued        int // steps planned and not yet run
	proposalsLeft int // proposals not yet planned

	maintainers, contributors, reviewers []string
	protocols                            []*protocol
}

// newGenerator returns a generator that has planned nothing yet.
func newGenerator(ctx context.Context, store *sqlstore.Store, o options) *generator {
	g := &generator{
		ctx: ctx, store: store, rng: rand.New(rand.NewPCG(o.seed, 0x9e3779b97f4a7c15)), cfg: pvczar.DefaultConfig(), opts: o,
		clock: start, nextTick: start.Add(tickEvery), proposalsLeft: o.proposals,
	}
	for i := 1; i <= nMaintainers; i++ {
		g.maintainers = append(g.maintainers, fmt.Sprintf("maint%02d", i))
	}
	for i := 1; i <= nContributors; i++ {
		g.contributors = append(g.contributors, fmt.Sprintf("contrib%02d", i))
	}
	for i := 1; i <= nReviewers; i++ {
		g.reviewers = append(g.reviewers, fmt.Sprintf("rev%02d", i))
	}
	return g
}

// run adds the people, plans the protocols and runs every step.
func (g *generator) run() error {
	if err := g.addUsers(); err != nil {
		return err
	}
	if err := g.planProtocols(); err != nil {
		return err
	}
	for {
		p := g.earliest()
		if p == nil {
			break
		}
		s := p.steps[0]
		p.steps = p.steps[1:]
		g.queued--
		g.clock = g.clock.Add(time.Duration(1+g.rng.IntN(60)) * time.Second)
		if s.at.After(g.clock) {
			g.clock = s.at.Truncate(time.Second)
		}
		if err := g.tickUntil(g.clock); err != nil {
			return err
		}
		if err := g.act(s.cmd); err != nil {
			return err
		}
		if s.cmd.Type == pvczar.EventProposalDecided && s.cmd.Data.Outcome == pvczar.ProposalAccepted {
			p.stage = pvczar.NextStage(p.stage)
		}
		if len(p.steps) == 0 && p.quota > 0 {
			g.planNext(p, g.clock.Add(g.between(6*time.Hour, 4*pvczar.Day)))
		}
	}
	return g.tick(g.clock)
}

// earliest returns the protocol whose next step is due first, or nil when
// no steps are left.
func (g *generator) earliest() *protocol {
	var best *protocol
	for _, p := range g.protocols {
		if len(p.steps) > 0 && (best == nil || p.steps[0].at.Before(best.steps[0].at)) {
			best = p
		}
	}
	return best
}

// act gives one command at the current time.
func (g *generator) act(cmd pvczar.Event) error {
	cmd.At = g.clock
	if cmd.Source == "" {
		cmd.Source = pvczar.SourceCLI
	}
	if _, err := g.store.Act(g.ctx, cmd); err != nil {
		return fmt.Errorf("%s by %s at %s (protocol %s, proposal %s): %w",
			cmd.Type, cmd.Actor, pvczar.FormatUTC(cmd.At), cmd.Data.Protocol, cmd.Data.Proposal, err)
	}
	g.logged++
	return nil
}

// tickUntil runs the scheduler's ticks due up to t.
func (g *generator) tickUntil(t time.Time) error {
	for !g.nextTick.After(t) {
		if err := g.tick(g.nextTick); err != nil {
			return err
		}
		g.nextTick = g.nextTick.Add(tickEvery)
	}
	return nil
}

func (g *generator) tick(now time.Time) error {
	written, err := g.store.Tick(g.ctx, now, false)
	if err != nil {
		return fmt.Errorf("tick at %s: %w", pvczar.FormatUTC(now), err)
	}
	g.logged += len(written)
	g.ticked += len(written)
	return nil
}

// addUsers adds the Czar, who adds everyone else, a minute apart.
func (g *generator) addUsers() error {
	add := func(name string, role pvczar.Role, display string) error {
		g.clock = g.clock.Add(time.Minute)
		return g.act(pvczar.Event{Type: pvczar.EventUserAdded, Actor: czar, Data: pvczar.EventData{
			User: name, Role: role, Display: display, Email: name + "@example.org"}})
	}
	if err := add(czar, pvczar.RoleCzar, "The PV Protocols Czar"); err != nil {
		return err
	}
	groups := []struct {
		names []string
		role  pvczar.Role
	}{{g.maintainers, pvczar.RoleMaintainer}, {g.contributors, pvczar.RoleContributor}, {g.reviewers, pvczar.RoleReviewer}}
	for _, grp := range groups {
		for i, name := range grp.names {
			if err := add(name, grp.role, fmt.Sprintf("%s %d", titleCase(string(grp.role)), i+1)); err != nil {
				return err
			}
		}
	}
	return nil
}

// titleCase upper-cases the first letter of s.
func titleCase(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// protocolWords name the simulated protocols.
var protocolWords = []string{"blkif", "netif", "consif", "fbif", "kbdif", "usbif", "scsiif", "tpmif", "sndif", "displif",
	"cameraif", "pvcalls", "9pfs", "vsockif", "cryptif", "rngif", "gpioif", "i2cif", "canif", "pciif"}

// planProtocols chooses each protocol's stage, owner and number of
// proposals, and plans its registration and first steps.
func (g *generator) planProtocols() error {
	var eligible []*protocol // those that can be proposed for a move
	for i := range g.opts.protocols {
		p := &protocol{
			id:    fmt.Sprintf("%s%02d", protocolWords[i%len(protocolWords)], i/len(protocolWords)+1),
			owner: g.contributors[i%len(g.contributors)],
			stage: pvczar.StageDesign,
		}
		switch r := g.rng.Float64(); {
		case r < 0.1:
			p.stage = pvczar.StageProduction
		case r < 0.4:
			p.stage = pvczar.StagePrototype
		}
		if p.stage != pvczar.StageProduction {
			eligible = append(eligible, p)
		}
		g.protocols = append(g.protocols, p)
	}
	if len(eligible) == 0 && g.opts.proposals > 0 {
		return errors.New("no protocol below production to open proposals on: raise -protocols")
	}
	for i := range g.opts.proposals {
		if i < len(eligible) {
			eligible[i].quota++
		} else {
			eligible[g.rng.IntN(len(eligible))].quota++
		}
	}
	openWanted := max(1, g.opts.protocols*15/100)
	for _, i := range g.rng.Perm(len(eligible))[:min(openWanted, len(eligible))] {
		eligible[i].openLast = eligible[i].quota > 0
	}
	for _, p := range g.protocols {
		t := g.planRegistration(p, start.Add(g.between(time.Hour, 20*pvczar.Day)))
		target := pvczar.NextStage(p.stage)
		if target == "" {
			target = pvczar.StageProduction
		}
		t = g.planEvidence(p, target, t)
		if p.quota > 0 {
			g.planNext(p, t.Add(g.between(time.Hour, 3*pvczar.Day)))
		}
	}
	return nil
}

// plan appends a step to p's plan.
func (g *generator) plan(p *protocol, at time.Time, actor string, typ pvczar.EventType, d pvczar.EventData) {
	p.steps = append(p.steps, step{at: at, cmd: pvczar.Event{Type: typ, Actor: actor, Data: d}})
	g.queued++
}

// planRegistration plans p's registration at t: by its owner at design, or
// by the Czar as an import of its history at a later stage. It returns
// when the step is planned.
func (g *generator) planRegistration(p *protocol, t time.Time) time.Time {
	d := pvczar.EventData{Protocol: p.id, Title: fmt.Sprintf("PV %s: a simulated protocol", p.id), Owners: []string{p.owner}}
	if g.rng.IntN(5) == 0 {
		d.Owners = append(d.Owners, g.pick(g.contributors, p.owner))
	}
	actor := p.owner
	if p.stage != pvczar.StageDesign {
		actor = czar
		since := time.Date(2012+g.rng.IntN(8), time.Month(1+g.rng.IntN(12)), 1+g.rng.IntN(28), 0, 0, 0, 0, time.UTC)
		d.Stage, d.Since, d.Version = p.stage, &since, "1"
		d.Header = "xen/include/public/io/" + p.id + ".h"
		d.Reason = "imported from SUPPORT.md"
	}
	g.plan(p, t, actor, pvczar.EventProtocolRegistered, d)
	return t
}

// planEvidence plans the evidence that the gates of a move to stage to ask
// for, from t on, and returns when the last step is planned.
func (g *generator) planEvidence(p *protocol, to pvczar.Stage, t time.Time) time.Time {
	p.evidence = to
	next := func() time.Time {
		t = t.Add(g.between(time.Hour, 2*pvczar.Day))
		return t
	}
	evidence := func(d pvczar.EventData) {
		d.Protocol = p.id
		g.plan(p, next(), p.owner, pvczar.EventEvidenceRecorded, d)
	}
	if to == pvczar.StagePrototype {
		commit := g.hex(10)
		evidence(pvczar.EventData{Evidence: pvczar.EvidenceDesignDoc, Path: "docs/misc/" + p.id + ".pandoc", Commit: commit})
		if g.rng.IntN(3) == 0 {
			failed := false
			evidence(pvczar.EventData{Evidence: pvczar.EvidenceDocCheck, Passed: &failed, Text: "section 4 has no state diagram"})
			commit = g.hex(10)
			evidence(pvczar.EventData{Evidence: pvczar.EvidenceDesignDoc, Path: "docs/misc/" + p.id + ".pandoc", Commit: commit})
		}
		passed := true
		evidence(pvczar.EventData{Evidence: pvczar.EvidenceDocCheck, Passed: &passed, Commit: commit})
		evidence(pvczar.EventData{Evidence: pvczar.EvidenceDesignThread, MessageID: p.id + "-design@lists.example.org"})
		return t
	}
	backends := []string{"qemu", "linux", "xen-tools", "freebsd"}
	impls := []pvczar.Implementation{{Side: pvczar.SideFrontend, CodeBase: "linux"}, {Side: pvczar.SideBackend, CodeBase: backends[g.rng.IntN(len(backends))]}}
	for _, impl := range impls {
		impl.Series = []pvczar.Series{{MessageID: fmt.Sprintf("%s-%s-v1@lists.example.org", p.id, impl.CodeBase), Version: 1}}
		g.plan(p, next(), p.owner, pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: p.id, Implementation: &impl})
	}
	for _, impl := range impls {
		impl.UpstreamCommit, impl.Support = g.hex(12), pvczar.SupportTechPreview
		g.plan(p, next(), p.owner, pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: p.id, Implementation: &impl})
	}
	evidence(pvczar.EventData{Evidence: pvczar.EvidenceVersion, Version: "1"})
	evidence(pvczar.EventData{Evidence: pvczar.EvidenceCompatibility, Backward: "new features are negotiated through xenstore feature keys",
		CrossPlatform: "fixed-size fields only; the layout is the same on x86 and Arm"})
	if g.rng.IntN(2) == 0 {
		p.issues++
		g.plan(p, next(), g.pick(g.maintainers, ""), pvczar.EventKnownIssueAdded, pvczar.EventData{Protocol: p.id, Text: "no live migration of in-flight requests"})
		if g.rng.IntN(2) == 0 {
			g.plan(p, next(), czar, pvczar.EventKnownIssueAccepted, pvczar.EventData{Protocol: p.id, Issue: p.issues, Reason: "documented as a limitation"})
		} else {
			g.plan(p, next(), p.owner, pvczar.EventKnownIssueClosed, pvczar.EventData{Protocol: p.id, Issue: p.issues})
		}
	}
	return t
}

// planNext plans p's next proposal from t on, after the evidence its gates
// need if that is not recorded yet.
func (g *generator) planNext(p *protocol, t time.Time) {
	if to := pvczar.NextStage(p.stage); p.evidence != to {
		t = g.planEvidence(p, to, t)
	}
	g.planProposal(p, t)
}

// outcome chooses how p's next proposal ends. A move to production is
// accepted only as p's last proposal, since nothing can follow production.
func (g *generator) outcome(p *protocol) string {
	last := p.quota == 1
	switch {
	case last && p.openLast:
		return outcomeOpen
	case p.stage == pvczar.StageDesign && g.rng.Float64() < 0.3,
		p.stage == pvczar.StagePrototype && last && g.rng.Float64() < 0.5:
		return outcomeAccept
	case g.rng.Float64() < 0.6:
		return outcomeReject
	}
	return outcomeWithdraw
}

// activityBudget chooses how many positions, objections and replies the
// next proposal gets, so that the log ends near the wanted size.
func (g *generator) activityBudget() int {
	per := (g.opts.events-g.logged-g.queued)/g.proposalsLeft - 2 // the opening and the decision
	return max(1, int(float64(per)*(0.5+g.rng.Float64())))
}

// planProposal plans a proposal of p opened at t0: its discussion and how
// it ends.
func (g *generator) planProposal(p *protocol, t0 time.Time) {
	to := pvczar.NextStage(p.stage)
	p.opened++
	id := fmt.Sprintf("%s-%d", p.id, p.opened)
	outcome := g.outcome(p)
	budget := g.activityBudget()
	p.quota--
	g.proposalsLeft--
	g.plan(p, t0, p.owner, pvczar.EventProposalOpened, pvczar.EventData{Protocol: p.id, To: to})

	window := g.cfg.WindowDays(to)
	deadline := pvczar.EndOfDayAoE(t0, window)
	var end, last time.Time // when it is decided or withdrawn, and when its discussion ends
	switch outcome {
	case outcomeAccept:
		end = deadline.Add(g.between(2*time.Hour, 30*time.Hour))
		last = deadline.Add(-12 * time.Hour)
	case outcomeOpen:
		last = deadline.Add(-12 * time.Hour)
	default:
		end = t0.Add(g.between(pvczar.Day, time.Duration(window-1)*pvczar.Day))
		last = end.Add(-time.Hour)
	}

	var talk []step
	say := func(at time.Time, actor string, typ pvczar.EventType, d pvczar.EventData) {
		d.Proposal = id
		talk = append(talk, step{at: at, cmd: pvczar.Event{Type: typ, Actor: actor, Source: pvczar.SourceAPI, Data: d}})
	}
	span := last.Sub(t0)
	for _, o := range g.objections(budget) {
		// Raised early in the window, then answered back and forth.
		raised := t0.Add(time.Hour + time.Duration(g.rng.Float64()*0.4*float64(span)))
		author := g.pick(append(slices.Clone(g.reviewers), g.maintainers...), "")
		say(raised, author, pvczar.EventObjectionRaised, pvczar.EventData{Objection: o.name, About: o.about, Resolution: o.resolution, Reason: o.reason})
		times := g.times(o.replies+1, raised, last)
		for i := range o.replies {
			who, text := p.owner, "Addressed in the next revision of the document; see the diff."
			if i%2 == 1 {
				who, text = author, "Not yet: the text still leaves this to the implementation."
			}
			say(times[i], who, pvczar.EventObjectionAnswered, pvczar.EventData{Objection: o.name, Text: text})
		}
		closeAt := times[o.replies]
		switch {
		case outcome != outcomeAccept && g.rng.IntN(2) == 0:
			// left open: the proposal is rejected, withdrawn or still open
		case g.rng.IntN(7) == 0:
			say(closeAt, czar, pvczar.EventObjectionOverruled, pvczar.EventData{Objection: o.name, Reason: "the concern is out of scope for this stage"})
		case g.rng.IntN(3) == 0:
			say(closeAt, author, pvczar.EventObjectionWithdrawn, pvczar.EventData{Objection: o.name, Reason: "I misread the specification"})
		default:
			say(closeAt, author, pvczar.EventObjectionResolved, pvczar.EventData{Objection: o.name, Reason: "resolved by the new revision"})
		}
	}
	if outcome == outcomeAccept {
		say(t0.Add(time.Duration(g.rng.Float64()*float64(span))), g.pick(g.maintainers, ""), pvczar.EventPositionRecorded,
			pvczar.EventData{Kind: pvczar.PositionAck, Text: "Acked-by"})
	}
	for range budget - len(talk) {
		author, kind, text := g.position(p)
		say(t0.Add(time.Duration(g.rng.Float64()*float64(span))), author, pvczar.EventPositionRecorded, pvczar.EventData{Kind: kind, Text: text})
	}
	slices.SortStableFunc(talk, func(a, b step) int { return a.at.Compare(b.at) })
	for _, s := range talk {
		p.steps = append(p.steps, s)
		g.queued++
	}

	switch outcome {
	case outcomeAccept:
		g.plan(p, end, czar, pvczar.EventProposalDecided, pvczar.EventData{Proposal: id, Outcome: pvczar.ProposalAccepted, Reason: "lazy consensus"})
	case outcomeReject:
		g.plan(p, end, czar, pvczar.EventProposalDecided, pvczar.EventData{Proposal: id, Outcome: pvczar.ProposalRejected, Reason: "the design needs another round on the list"})
	case outcomeWithdraw:
		g.plan(p, end, p.owner, pvczar.EventProposalWithdrawn, pvczar.EventData{Proposal: id, Reason: "will propose again after the next revision"})
	}
}

// objection is a planned objection.
type objection struct {
	name, about, resolution, reason string
	replies                         int // answers in its thread, alternating proposer and objector
}

// objectionTopics are what the simulated objections are about.
var objectionTopics = []objection{
	{name: "ring-order", about: "the ring-page-order key", resolution: "state the largest order a backend must accept", reason: "a frontend cannot size its ring without it"},
	{name: "evtchn", about: "event channel setup", resolution: "say whether one channel per queue is required", reason: "backends disagree today"},
	{name: "xenstore-keys", about: "the xenstore layout", resolution: "list every key with its type and writer", reason: "two keys are written by both ends"},
	{name: "grant-lifetime", about: "grant reference lifetime", resolution: "say when the frontend may revoke a grant", reason: "a revoked grant can be mapped after close"},
	{name: "feature-flags", about: "feature negotiation", resolution: "define the behaviour when a feature is absent", reason: "old backends would misparse requests"},
	{name: "state-machine", about: "the XenbusState transitions", resolution: "add the transitions on backend restart", reason: "reconnection is undefined"},
	{name: "max-requests", about: "the request size limits", resolution: "give the largest request in bytes", reason: "a backend cannot preallocate buffers"},
	{name: "errno", about: "error codes", resolution: "map every error to a Xen errno value", reason: "the codes differ between Linux and FreeBSD"},
}

// objections plans the objections of a proposal whose discussion has the
// given budget of events. Most proposals draw objections, and their threads
// take half of the budget or more: a reply costs the store less than a
// position, which adds a row that the store rewrites on every later command
// about the protocol.
func (g *generator) objections(budget int) []objection {
	n := [...]int{0, 1, 1, 1, 2, 2, 2, 2, 3, 3}[g.rng.IntN(10)]
	if n == 0 {
		return nil
	}
	per := int(float64(budget)*(0.5+0.3*g.rng.Float64())) / n // events per objection
	var out []objection
	for _, i := range g.rng.Perm(len(objectionTopics))[:n] {
		o := objectionTopics[i]
		o.replies = max(0, per-2+g.rng.IntN(5)-2) // besides raising and closing it
		out = append(out, o)
	}
	return out
}

// position chooses who says what about a proposal of p.
func (g *generator) position(p *protocol) (string, pvczar.PositionKind, string) {
	switch r := g.rng.IntN(100); {
	case r < 2:
		return czar, pvczar.PositionComment, "Please keep the discussion on the list thread too."
	case r < 32:
		kinds := []pvczar.PositionKind{pvczar.PositionAck, pvczar.PositionReview, pvczar.PositionComment, pvczar.PositionTest}
		return g.pick(g.maintainers, ""), kinds[g.rng.IntN(len(kinds))], g.remark()
	case r < 40:
		return g.pick(g.contributors, p.owner), pvczar.PositionComment, g.remark()
	default:
		kinds := []pvczar.PositionKind{pvczar.PositionReview, pvczar.PositionComment, pvczar.PositionComment, pvczar.PositionTest, pvczar.PositionAbstain}
		return g.pick(g.reviewers, ""), kinds[g.rng.IntN(len(kinds))], g.remark()
	}
}

var remarks = []string{
	"Looks good to me.",
	"Reviewed the document and the header; two nits sent to the list.",
	"Tested with a Linux frontend against the QEMU backend: no regressions.",
	"The ring layout matches what the Windows drivers expect.",
	"Could the document say which side allocates the shared page?",
	"I would like a second implementation before production.",
	"Fine with this as long as the feature key stays optional.",
	"Ran the fuzzing harness for a day without crashes.",
}

func (g *generator) remark() string { return remarks[g.rng.IntN(len(remarks))] }

// pick returns a random name from names other than not.
func (g *generator) pick(names []string, not string) string {
	for {
		if n := names[g.rng.IntN(len(names))]; n != not {
			return n
		}
	}
}

// between returns a random duration in [lo, hi).
func (g *generator) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)))
}

// times returns n random instants in (from, to], in order.
func (g *generator) times(n int, from, to time.Time) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = from.Add(time.Second + time.Duration(g.rng.Float64()*float64(to.Sub(from))))
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// hex returns n random hexadecimal digits, such as a commit id.
func (g *generator) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(16)]
	}
	return string(b)
}
