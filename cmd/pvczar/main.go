// Command pvczar tracks Xen PV protocols through the lifecycle of design,
// prototype and production, and runs its lazy-consensus clock.
//
// Every subcommand lives in a file of this package and is run by Run, which
// tests call in-process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/xen-pvczar/pvczar"
	pvhttp "github.com/xen-pvczar/pvczar/http"
	"github.com/xen-pvczar/pvczar/postgres"
	"github.com/xen-pvczar/pvczar/pvspec"
	"github.com/xen-pvczar/pvczar/sqlite"
	"github.com/xen-pvczar/pvczar/sqlstore"
	"github.com/xen-pvczar/pvczar/verify"
)

// Exit codes (exitCodes says what each means, for help).
const (
	exitOK        = 0
	exitError     = 1   // internal error, or storage failure
	exitUsage     = 2   // bad flags or arguments, or invalid input
	exitNotFound  = 3   // a named protocol, proposal, user or objection does not exist
	exitConflict  = 4   // the current state does not allow it, or a concurrent change won
	exitForbidden = 5   // nobody identified, or the role does not allow it
	exitAudit     = 6   // audit verify (or the audit of backup or import-log) found differences, spec check, doc check or xen check found problems, or spec verify found a property that fails
	exitReview    = 7   // spec diff: changes a person must review (or breaking ones before production)
	exitBreaking  = 8   // spec diff: unwaived breaking changes to a production protocol
	exitInterrupt = 130 // stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it)
)

// exitCodes lists every exit code with its meaning, as help shows them.
var exitCodes = []struct {
	code    int
	meaning string
}{
	{exitOK, "ok"},
	{exitError, "error (internal, or storage)"},
	{exitUsage, "usage or invalid input"},
	{exitNotFound, "not found"},
	{exitConflict, "conflict (the state does not allow it, or a concurrent change won)"},
	{exitForbidden, "not identified, or forbidden"},
	{exitAudit, "audit verify (or the audit of backup or import-log), spec check, doc check or xen check found problems, or spec verify found a property that fails"},
	{exitReview, "spec diff found changes to review"},
	{exitBreaking, "spec diff found breaking changes to a production protocol"},
	{exitInterrupt, "stopped by SIGINT or SIGTERM"},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand.
type command struct {
	name    string // as typed, e.g. "protocol add"
	args    string // positional arguments, for the usage line
	summary string
	read    bool // a read: --json applies, no acting user needed
	// fileOnly: the command works on files alone and takes none of the
	// flags of a registry (--db, --as, --now, --config, --server, --token):
	// given one, it says so instead of ignoring it.
	fileOnly bool
	flags    func(fs *flag.FlagSet, o *opts)
	run      func(ctx context.Context, c *cli, args []string) error
	nargs    [2]int // min and max positional arguments (max -1: any)
}

// opts are the per-command flag values; each command uses those it declares.
type opts struct {
	title, owners, stage, since, version, header, reason, text, email, display, role      string
	file, path, commit, messageID, backward, crossPlatform, about, resolution, holder, to string
	side, codebase, upstream, support, review, series, czar                               string
	days, limit, maxConns, maxConnsPerAddr                                                int
	metricsTokenFile, baseURL                                                             string
	dryRun, replace, incremental                                                          bool
	addr, logFormat, name, user, passwordFile, aliases                                    string
	demo, secureCookies, requireTLS, git                                                  bool
	mailTo, mailFrom, mailDomain, smtpAddr, smtpUser, outboxMbox                          string
	format, out, pkg, specFile, headerFile, rev, url                                      string
	tickEvery, ttl, mailEvery                                                             time.Duration
	watchMail                                                                             stringList
	from, until, thread                                                                   string
	cancel, all                                                                           bool
	oldSpec                                                                               string
	conforms, features, conformanceResult                                                 string
}

// cli is what a running command has at hand.
type cli struct {
	stdout, stderr io.Writer
	db, as, nowArg string
	dbGiven        bool   // --db or $PVCZAR_DB named the database
	server, token  string // --server and --token: talk to a pvczar server
	configPath     string
	json           bool
	opts           opts
	cmd            *command
	svc            pvczar.Service
	store          *sqlstore.Store // the local database, when not talking to a server
	closeSvc       func() error
	wall           func() time.Time
	logger         *slog.Logger
}

var commands []*command

func register(c *command) { commands = append(commands, c) }

// Run runs pvczar with args (without the program name) and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := &cli{stdout: stdout, stderr: stderr, wall: time.Now,
		logger: slog.New(&warningHandler{w: stderr})}
	if len(args) > 0 && args[0] == "--version" {
		args[0] = "version"
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return Run(ctx, append(args[1:], "--help"), stdout, stderr)
		}
		printOverview(stdout)
		return exitOK
	}
	args = commandFirst(args)
	cmd, rest := findCommand(args)
	if cmd == nil {
		return unknownCommand(args, stdout, stderr)
	}
	c.cmd = cmd
	fs := flag.NewFlagSet("pvczar "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if !cmd.fileOnly {
		fs.StringVar(&c.db, "db", "", "database: a SQLite file path, or a PostgreSQL DSN (postgres://... or host=... dbname=...) (default $PVCZAR_DB, else "+defaultDBPath()+")")
		fs.StringVar(&c.as, "as", os.Getenv("PVCZAR_USER"), "act as this user (default $PVCZAR_USER)")
		fs.StringVar(&c.nowArg, "now", os.Getenv("PVCZAR_NOW"), "the time of the action or of the evaluation, RFC 3339 (default: the clock; $PVCZAR_NOW)")
		fs.StringVar(&c.configPath, "config", os.Getenv("PVCZAR_CONFIG"), "JSON file of lifecycle numbers (default: the built-in defaults; $PVCZAR_CONFIG)")
		fs.StringVar(&c.server, "server", os.Getenv("PVCZAR_SERVER"), "talk to this pvczar server instead of a database, e.g. http://127.0.0.1:8080 (default $PVCZAR_SERVER)")
		fs.StringVar(&c.token, "token", os.Getenv("PVCZAR_TOKEN"), "API token for --server; commands act as its user (default $PVCZAR_TOKEN)")
	}
	fs.BoolVar(&c.json, "json", false, "print JSON")
	if cmd.flags != nil {
		cmd.flags(fs, &c.opts)
	}
	positional, err := parseInterspersed(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(stdout, cmd, fs)
		return exitOK
	}
	if err == nil && (len(positional) < cmd.nargs[0] || (cmd.nargs[1] >= 0 && len(positional) > cmd.nargs[1])) {
		err = fmt.Errorf("wrong number of arguments: usage: pvczar %s %s", cmd.name, cmd.args)
	}
	if err == nil && !cmd.fileOnly {
		// Given on the command line, --db and --server each win over the
		// other's environment variable; both given is a mistake.
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		switch {
		case given["db"] && given["server"]:
			err = errors.New("--db and --server both given: a command works on a database or through a server, not both")
		case given["db"]:
			c.server = ""
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "pvczar %s: %v (see `pvczar %s --help`)\n", cmd.name, err, cmd.name)
		return exitUsage
	}
	if c.db == "" {
		c.db = os.Getenv("PVCZAR_DB")
	}
	c.dbGiven = c.db != ""
	if c.db == "" {
		c.db = defaultDBPath()
	}
	defer func() {
		if c.closeSvc != nil {
			c.closeSvc()
		}
	}()
	if err := cmd.run(ctx, c, positional); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err() // SIGINT or SIGTERM: whatever failed then (a git that was killed) failed for it
		}
		return c.fail(err)
	}
	return exitOK
}

// fail prints err as one line and returns its exit code.
func (c *cli) fail(err error) int {
	var audit auditError
	var findings checkFindings
	var verdict diffVerdict
	var failures verifyFailures
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(c.stderr, "pvczar %s: interrupted\n", c.cmd.name)
		return exitInterrupt
	case errors.As(err, &audit) || errors.As(err, &findings) || errors.As(err, &failures):
		fmt.Fprintf(c.stderr, "pvczar %s: %v\n", c.cmd.name, err)
		return exitAudit
	case errors.As(err, &verdict):
		fmt.Fprintf(c.stderr, "pvczar %s: %v\n", c.cmd.name, err)
		if verdict.v == pvspec.Incompatible {
			return exitBreaking
		}
		return exitReview
	}
	code := pvczar.ErrorCode(err)
	msg := pvczar.ErrorMessage(err)
	if code == pvczar.EINTERNAL {
		msg = err.Error()
	}
	fmt.Fprintf(c.stderr, "pvczar %s: %s\n", c.cmd.name, msg)
	switch code {
	case pvczar.EINVALID:
		return exitUsage
	case pvczar.ENOTFOUND:
		return exitNotFound
	case pvczar.ECONFLICT, pvczar.ESTALE:
		return exitConflict
	case pvczar.EUNAUTHORIZED, pvczar.EFORBIDDEN:
		return exitForbidden
	}
	return exitError
}

// auditError reports that the projection differs from the log.
type auditError struct{ n int }

func (e auditError) Error() string {
	return fmt.Sprintf("%d difference(s) between the log and the tables", e.n)
}

func findCommand(args []string) (*command, []string) {
	if len(args) >= 2 {
		for _, c := range commands {
			if c.name == args[0]+" "+args[1] {
				return c, args[2:]
			}
		}
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c, args[1:]
		}
	}
	return nil, nil
}

// parseInterspersed parses flags that may stand before, between or after
// the positional arguments; "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func defaultDBPath() string {
	if dir := os.Getenv("XDG_DATA_HOME"); dir != "" {
		return filepath.Join(dir, "pvczar", "pvczar.db")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "pvczar", "pvczar.db")
	}
	return "pvczar.db"
}

func printOverview(w io.Writer) {
	fmt.Fprintln(w, `pvczar tracks Xen PV protocols through design, prototype and production,
and runs the lazy-consensus clock of their proposals.

Usage: pvczar COMMAND [ARGS] [FLAGS]

Commands:`)
	sorted := append([]*command(nil), commands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-22s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, `
Commands on a registry take --db, --as, --now, --config and --json; those
on files alone (spec ..., doc check, version) take --json. Every command
takes --help, and flags may come before or after the command.
With --server URL and --token (or $PVCZAR_SERVER, $PVCZAR_TOKEN) commands go
to a pvczar server and act as the token's user.

Exit codes:`)
	for _, e := range exitCodes {
		fmt.Fprintf(w, "  %3d  %s\n", e.code, e.meaning)
	}
}

// globalValueFlags are the flags every command takes that take a value.
var globalValueFlags = []string{"db", "as", "now", "config", "server", "token"}

// commandFirst moves flags given before the command after it, so that
// `pvczar --db x status` works as `pvczar status --db x` does.
func commandFirst(args []string) []string {
	var flags []string
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" && args[i] != "--" {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		flags = append(flags, args[i])
		i++
		if !hasValue && slices.Contains(globalValueFlags, name) && i < len(args) {
			flags = append(flags, args[i])
			i++
		}
	}
	if len(flags) == 0 || i == len(args) {
		return args
	}
	return append(append([]string(nil), args[i:]...), flags...)
}

// unknownCommand explains a command that is not one: a group's name lists
// its subcommands (exit 0 when nothing more was typed), and a typo gets the
// nearest names.
func unknownCommand(args []string, stdout, stderr io.Writer) int {
	var group []*command
	for _, c := range commands {
		if strings.HasPrefix(c.name, args[0]+" ") {
			group = append(group, c)
		}
	}
	sort.Slice(group, func(i, j int) bool { return group[i].name < group[j].name })
	if len(group) > 0 {
		w, code := stdout, exitOK
		if len(args) > 1 && !strings.HasPrefix(args[1], "-") {
			w, code = stderr, exitUsage
			fmt.Fprintf(w, "pvczar %s: unknown subcommand %q\n", args[0], args[1])
			if near := nearestCommands(args); len(near) > 0 {
				fmt.Fprintf(w, "did you mean `pvczar %s`?\n", near[0])
			}
		}
		fmt.Fprintf(w, "Usage: pvczar %s SUBCOMMAND [ARGS] [FLAGS]\n\nSubcommands:\n", args[0])
		for _, c := range group {
			fmt.Fprintf(w, "  %-22s %s\n", c.name, c.summary)
		}
		return code
	}
	fmt.Fprintf(stderr, "pvczar: unknown command %q; run `pvczar help` for the list\n", args[0])
	if near := nearestCommands(args); len(near) > 0 {
		fmt.Fprintf(stderr, "did you mean `pvczar %s`?\n", strings.Join(near, "` or `pvczar "))
	}
	return exitUsage
}

// nearestCommands returns up to three command or group names within a few
// edits of what was typed, all at the nearest distance.
func nearestCommands(args []string) []string {
	type candidate struct {
		name     string
		distance int
	}
	seen := map[string]bool{}
	var found []candidate
	for _, c := range commands {
		words := strings.Fields(c.name)
		n := min(len(words), len(args)) // as many words as were typed
		name := strings.Join(words[:n], " ")
		if seen[name] {
			continue
		}
		seen[name] = true
		if d := editDistance(strings.Join(args[:n], " "), name); d <= max(2, len(name)/4) {
			found = append(found, candidate{name, d})
		}
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].distance != found[j].distance {
			return found[i].distance < found[j].distance
		}
		return found[i].name < found[j].name
	})
	var out []string
	for _, f := range found[:min(3, len(found))] {
		if f.distance == found[0].distance { // the nearest only
			out = append(out, f.name)
		}
	}
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func printUsage(w io.Writer, cmd *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: pvczar %s %s [FLAGS]\n\n%s\n\n", cmd.name, cmd.args, cmd.summary)
	if ex := examples[cmd.name]; ex != "" {
		fmt.Fprintf(w, "Example:\n  %s\n\n", ex)
	}
	fmt.Fprintf(w, "Flags:\n")
	fs.VisitAll(func(f *flag.Flag) { // as --name, the way the README writes them; never a token's value
		kind, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if kind != "" {
			line += " " + strings.ToUpper(kind)
		}
		line += "\n      " + usage
		if f.Name != "token" && f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "[]" {
			line += fmt.Sprintf(" (default %q)", f.DefValue)
		}
		fmt.Fprintln(w, line)
	})
}

// open opens the service: the server of --server, else the database, which
// must hold a registry (init, demo, xen import and import-log create one,
// through createIn).
func (c *cli) open(ctx context.Context) (pvczar.Service, error) {
	if c.svc != nil {
		return c.svc, nil
	}
	if c.server != "" {
		cl, err := pvhttp.NewClient(c.server, c.token)
		if err != nil {
			return nil, err
		}
		cl.As = c.as // the server refuses it unless it is the token's user
		c.svc = cl
		return cl, nil
	}
	if _, err := c.openStore(ctx, false); err != nil {
		return nil, err
	}
	return c.svc, nil
}

// openStore opens the local database, refusing --server. Only with create
// is a missing SQLite file created, or a database without pvczar's tables
// given them.
func (c *cli) openStore(ctx context.Context, create bool) (*sqlstore.Store, error) {
	if c.store != nil {
		return c.store, nil
	}
	if c.server != "" {
		return nil, pvczar.Errorf(pvczar.EINVALID, "pvczar %s works on a database, not through --server", c.cmd.name)
	}
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	var s *sqlstore.Store
	if postgres.IsDSN(c.db) {
		s, err = postgres.Open(ctx, c.db, create, cfg)
	} else {
		s, err = sqlite.Open(ctx, c.db, create, cfg)
	}
	if err != nil {
		return nil, err
	}
	// Commands go through the verifier, which runs the checks of evidence
	// itself, as the server does for its clients.
	c.svc, c.store, c.closeSvc = verify.New(s), s, s.Close
	return s, nil
}

// createIn runs fn on the store, creating the database when it has no
// registry yet (a SQLite file, or pvczar's tables); a SQLite file that did
// not exist before is removed again if fn fails, so that a failed command
// leaves no empty registry behind.
func (c *cli) createIn(ctx context.Context, fn func(*sqlstore.Store) error) error {
	newFile := !postgres.IsDSN(c.db) && !fileExists(c.db)
	store, err := c.openStore(ctx, true)
	if err == nil {
		err = fn(store)
	}
	if err != nil && newFile {
		if c.closeSvc != nil {
			c.closeSvc()
		}
		c.closeSvc, c.store, c.svc = nil, nil, nil
		if rmErr := removeSQLite(c.db); rmErr != nil {
			err = errors.Join(err, rmErr)
		}
	}
	return err
}

// removeSQLite removes a SQLite file and its WAL files, if there are any.
func removeSQLite(path string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}

// shownDB is the database as output and logs show it: a PostgreSQL DSN
// without its password.
func (c *cli) shownDB() string {
	if postgres.IsDSN(c.db) {
		return postgres.Redact(c.db)
	}
	return c.db
}

func (c *cli) config() (pvczar.Config, error) {
	if c.configPath == "" {
		return pvczar.DefaultConfig(), nil
	}
	f, err := os.Open(c.configPath)
	if err != nil {
		return pvczar.Config{}, pvczar.Errorf(pvczar.EINVALID, "configuration: %v", err)
	}
	defer f.Close()
	return pvczar.ReadConfig(c.configPath, f)
}

// now returns the time of the command: --now if given, else the clock.
func (c *cli) now() (time.Time, error) {
	if c.nowArg == "" {
		return c.wall().UTC().Truncate(time.Second), nil
	}
	t, err := pvczar.ParseTime(c.nowArg)
	if err != nil {
		return time.Time{}, pvczar.Errorf(pvczar.EINVALID, "--now: %s", pvczar.ErrorMessage(err))
	}
	return t, nil
}

// writeTime is the time a write is recorded at: --now may go back, not
// ahead of the clock (by more than a minute); why says what to do instead.
// Through a server a write is recorded at the server's time, so --now is
// refused there.
func (c *cli) writeTime(why string) (time.Time, error) {
	if c.server != "" && c.nowArg != "" {
		return time.Time{}, pvczar.Errorf(pvczar.EINVALID, "--now %s: a server records writes at its own time; --now is for reads and dry runs", c.nowArg)
	}
	at, err := c.now()
	if err == nil && at.After(c.wall().Add(time.Minute)) {
		err = pvczar.Errorf(pvczar.EINVALID, "--now %s is in the future; %s", pvczar.FormatUTC(at), why)
	}
	return at, err
}

// act records one command as the acting user and prints what happened.
func (c *cli) act(ctx context.Context, typ pvczar.EventType, data pvczar.EventData) error {
	e, err := c.record(ctx, typ, data)
	if err != nil {
		return err
	}
	return c.printEvent(e)
}

// record records one command as the acting user. Without --now the
// command goes without a time, and the store stamps it under its write
// lock: concurrent writers then never see the clock run backwards.
func (c *cli) record(ctx context.Context, typ pvczar.EventType, data pvczar.EventData) (pvczar.Event, error) {
	var at time.Time
	if c.nowArg != "" {
		var err error
		if at, err = c.writeTime("only reads may look ahead"); err != nil {
			return pvczar.Event{}, err
		}
	}
	svc, err := c.open(ctx)
	if err != nil {
		return pvczar.Event{}, err
	}
	return svc.Act(ctx, pvczar.Event{Type: typ, At: at, Actor: c.as, Source: pvczar.SourceCLI, Data: data})
}

// printEvent prints a recorded event: as JSON, or as one line.
func (c *cli) printEvent(e pvczar.Event) error {
	if c.json {
		return printJSON(c.stdout, e)
	}
	fmt.Fprintf(c.stdout, "%s: %s (event %d)\n", e.Actor, e.Describe(), e.Seq)
	return nil
}

// registry loads the state evaluated at the command's time.
func (c *cli) registry(ctx context.Context) (*pvczar.Registry, time.Time, error) {
	now, err := c.now()
	if err != nil {
		return nil, now, err
	}
	svc, err := c.open(ctx)
	if err != nil {
		return nil, now, err
	}
	reg, err := svc.Registry(ctx, now)
	return reg, now, err
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
