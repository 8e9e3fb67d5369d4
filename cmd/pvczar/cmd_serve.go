package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/xen-pvczar/pvczar"
	pvhttp "github.com/xen-pvczar/pvczar/http"
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
	store, err := c.openStore(ctx, c.opts.demo)
	if err != nil {
		return err
	}
	now := func() time.Time { return c.wall() }
	if c.nowArg != "" {
		// A fixed --now shifts the server's clock: it runs from that instant.
		at, err := c.now()
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
	srv := pvhttp.New(store, store, pvhttp.Options{Logger: logger, Now: now, Health: store.Ping,
		SecureCookies: c.opts.secureCookies, TickEvery: c.opts.tickEvery})
	logger.Info("starting", "db", c.db)
	return srv.Serve(ctx, c.opts.addr, func(url string) {
		fmt.Fprintf(c.stdout, "pvczar is serving %s at %s (Ctrl-C stops it)\n", c.db, url)
	})
}

// serveDemo loads the demo into an empty database and prints a token for
// its Czar, so that the person trying pvczar can sign in at once.
func serveDemo(ctx context.Context, c *cli, store interface {
	pvczar.Service
	pvczar.CredentialAdmin
}, now time.Time) error {
	reg, err := store.Registry(ctx, now)
	if err != nil {
		return err
	}
	if len(reg.Users) == 0 {
		n, err := loadDemo(ctx, store, now.UTC().Truncate(time.Second))
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "loaded the demo registry (%d events) into %s\n", n, c.db)
	}
	secret, _, err := store.CreateToken(ctx, demoCzar, "demo sign-in", now, pvczar.Day)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "sign in as the demo's Czar (%s) with this token, valid for one day: %s\n", demoCzar, secret)
	return nil
}
