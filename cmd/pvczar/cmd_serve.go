package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
	pvhttp "github.com/xen-pvczar/pvczar/http"
	"github.com/xen-pvczar/pvczar/mail"
	"github.com/xen-pvczar/pvczar/sqlstore"
	"github.com/xen-pvczar/pvczar/verify"
)

func init() {
	register(&command{
		name: "serve", summary: "run the web dashboard, the JSON API and the scheduler", nargs: [2]int{0, 0},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
			fs.BoolVar(&o.demo, "demo", false, "load the demo registry first if the database is empty (creating a SQLite file), and print a sign-in token for its Czar")
			fs.BoolVar(&o.secureCookies, "secure-cookies", false, "mark session cookies Secure (behind a TLS-terminating proxy)")
			fs.DurationVar(&o.tickEvery, "tick-every", time.Minute, "longest pause of the scheduler between two looks at the clock")
			fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
			fs.IntVar(&o.maxConns, "max-conns", 1024, "the most connections held open at once")
			fs.IntVar(&o.maxConnsPerAddr, "max-conns-per-addr", 64, "the most connections held open at once from one client address")
			fs.StringVar(&o.metricsTokenFile, "metrics-token-file", "", "a file holding the bearer token /metrics then requires (default: /metrics is open)")
			fs.Var(&o.watchMail, "watch-mail", "an mbox file, Maildir or public-inbox archive to ingest continuously (repeatable)")
			fs.DurationVar(&o.mailEvery, "mail-every", time.Minute, "how often to read the --watch-mail sources and, with --to, send announcements")
			mailFlags(fs, o)
		},
		run: runServe,
	})
}

func runServe(ctx context.Context, c *cli, _ []string) error {
	var handler slog.Handler
	switch c.opts.logFormat {
	case "json":
		handler = slog.NewJSONHandler(c.stderr, nil)
	case "text":
		handler = slog.NewTextHandler(c.stderr, nil)
	default:
		return pvczar.Errorf(pvczar.EINVALID, "--log-format: want text or json, got %q", c.opts.logFormat)
	}
	logger := slog.New(handler)
	c.logger = logger // what the mail loops log goes to the server's log
	// The port first: a busy one is reported before anything is loaded.
	ln, err := pvhttp.Listen(c.opts.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	store, err := c.openStore(ctx, c.opts.demo)
	if err != nil {
		return err
	}
	now := func() time.Time { return c.wall() }
	if c.nowArg != "" {
		// A fixed --now shifts the server's clock: it runs from that instant,
		// which may lie in the past but not ahead, where the scheduler and
		// the commands would log events dated in the future.
		at, err := c.writeTime("the server would record events dated in the future; ask `pvczar status --now` or `pvczar tick --dry-run --now` what happens then")
		if err != nil {
			return err
		}
		offset := at.Sub(c.wall())
		now = func() time.Time { return c.wall().Add(offset) }
	}
	store.Now = now // the store stamps the commands the server passes on
	if c.opts.demo {
		if err := serveDemo(ctx, c, store, now()); err != nil {
			return err
		}
	}
	if len(c.opts.watchMail) > 0 {
		go mail.Watch(ctx, store, mail.WatchOptions{Sources: c.opts.watchMail, Every: c.opts.mailEvery, Logger: logger})
	}
	if c.opts.mailTo != "" || c.opts.smtpAddr != "" || c.opts.outboxMbox != "" {
		if err := checkMailOptions(c.opts); err != nil {
			return err
		}
		go mail.AnnounceEvery(ctx, store, c.sendOptions(), now, c.opts.mailEvery)
	}
	if c.opts.maxConns < 1 || c.opts.maxConnsPerAddr < 1 {
		return pvczar.Errorf(pvczar.EINVALID, "--max-conns and --max-conns-per-addr must be at least 1")
	}
	var metricsToken string
	if c.opts.metricsTokenFile != "" {
		data, err := readBounded(c.opts.metricsTokenFile, 4<<10)
		if err != nil {
			return err
		}
		if metricsToken = strings.TrimSpace(string(data)); metricsToken == "" {
			return pvczar.Errorf(pvczar.EINVALID, "--metrics-token-file %s is empty", c.opts.metricsTokenFile)
		}
	}
	checked := verify.New(store) // the server runs the checks of evidence itself
	checked.Now = now
	srv := pvhttp.New(checked, store, pvhttp.Options{Logger: logger, Now: now, Health: store.Ping,
		SecureCookies: c.opts.secureCookies, TickEvery: c.opts.tickEvery,
		MaxConns: c.opts.maxConns, MaxConnsPerAddr: c.opts.maxConnsPerAddr, MetricsToken: metricsToken, MailDomain: c.announcementDomain()})
	logger.Info("starting", "db", c.shownDB())
	return srv.Serve(ctx, ln, func(url string) {
		fmt.Fprintf(c.stdout, "pvczar is serving %s at %s (Ctrl-C stops it)\n", c.shownDB(), url)
	})
}

// serveDemo loads the demo into an empty database and prints a token for
// its Czar, so that the person trying pvczar can sign in at once.
func serveDemo(ctx context.Context, c *cli, store *sqlstore.Store, now time.Time) error {
	reg, err := store.Registry(ctx, now)
	if err != nil {
		return err
	}
	if len(reg.Users) == 0 {
		n, err := loadDemo(ctx, store, now.UTC().Truncate(time.Second))
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "loaded the demo registry (%d events) into %s\n", n, c.shownDB())
	}
	secret, _, err := store.CreateToken(ctx, demoCzar, "demo sign-in", now, pvczar.Day)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "sign in as the demo's Czar (%s) with this token, valid for one day: %s\n", demoCzar, secret)
	return nil
}
