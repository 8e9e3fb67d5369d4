package http_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
	pvhttp "github.com/xen-pvczar/pvczar/http"
	"github.com/xen-pvczar/pvczar/sqlite"
	"github.com/xen-pvczar/pvczar/sqlstore"
	"github.com/xen-pvczar/pvczar/storetest"
	"github.com/xen-pvczar/pvczar/verify"
)

// TestClientMeetsTheStoreContract runs the store contract suite against
// Client: each open is a server of its own (a process) on one SQLite file,
// and the suite's commands go through the API with a token of their actor,
// at the server's time, which the suite sets to the time it means. The
// client and the stores must answer alike.
func TestClientMeetsTheStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (func() storetest.Store, *sql.DB) {
		path := filepath.Join(t.TempDir(), "contract.db")
		clock := &sharedClock{}
		open := func() storetest.Store { return openClientStore(t, path, clock) }
		open().Close() // create the schema
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		return open, raw
	})
}

// sharedClock is the time of every server of one test: the suite's
// commands say when they happen, and a server stamps them at its clock.
type sharedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *sharedClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !t.IsZero() {
		c.now = t
	}
}

func (c *sharedClock) get() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() {
		return time.Now()
	}
	return c.now
}

// clientStore is a server on the database and the clients that talk to it,
// one per user, as the suite's actors would each run the CLI with their
// own token.
type clientStore struct {
	t      *testing.T
	store  *sqlstore.Store
	server *httptest.Server
	clock  *sharedClock
}

func openClientStore(t *testing.T, path string, clock *sharedClock) *clientStore {
	store, err := sqlite.Open(context.Background(), path, true, pvczar.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	store.Now = clock.get
	checked := verify.New(store)
	checked.Now = clock.get
	srv := pvhttp.New(checked, store, pvhttp.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clock.get})
	return &clientStore{t: t, store: store, server: httptest.NewServer(srv.Handler()), clock: clock}
}

func (s *clientStore) Close() error {
	s.server.Close()
	return s.store.Close()
}

// client returns a client with a token of user, or without a token for
// someone pvczar does not know (the server then refuses them).
func (s *clientStore) client(user string) *pvhttp.Client {
	token := ""
	if user != "" {
		if secret, _, err := s.store.CreateToken(context.Background(), user, "contract", s.clock.get(), 0); err == nil {
			token = secret
		}
	}
	c, err := pvhttp.NewClient(s.server.URL, token)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		c.As = user
	}
	return c
}

// Act sends cmd as its actor at its time. The first user is added on the
// database, as `pvczar init` does: nobody could sign in before them.
func (s *clientStore) Act(ctx context.Context, cmd pvczar.Event) (pvczar.Event, error) {
	if cmd.Type == pvczar.EventUserAdded {
		if reg, err := s.store.Registry(ctx, s.clock.get()); err == nil && len(reg.Users) == 0 {
			return s.store.Act(ctx, cmd)
		}
	}
	s.clock.set(cmd.At)
	c := s.client(cmd.Actor)
	cmd.At, cmd.Source = time.Time{}, ""
	if c.As == "" {
		cmd.Actor = ""
	}
	return c.Act(ctx, cmd)
}

func (s *clientStore) Tick(ctx context.Context, now time.Time, dryRun bool) ([]pvczar.Event, error) {
	if !dryRun {
		s.clock.set(now)
	}
	return s.client(s.czar(ctx)).Tick(ctx, now, dryRun)
}

func (s *clientStore) Registry(ctx context.Context, now time.Time) (*pvczar.Registry, error) {
	return s.client("").Registry(ctx, now)
}

func (s *clientStore) Events(ctx context.Context, f pvczar.EventFilter) ([]pvczar.Event, error) {
	return s.client("").Events(ctx, f)
}

func (s *clientStore) Verify(ctx context.Context) ([]string, error) {
	return s.client(s.czar(ctx)).Verify(ctx)
}

func (s *clientStore) Config(ctx context.Context) (pvczar.Config, error) {
	return s.client("").Config(ctx)
}

// czar names a Czar, for the audit and the clock.
func (s *clientStore) czar(ctx context.Context) string {
	reg, err := s.store.Registry(ctx, s.clock.get())
	if err != nil {
		s.t.Fatal(err)
	}
	for _, u := range reg.SortedUsers() {
		if u.Role == pvczar.RoleCzar {
			return u.Name
		}
	}
	return ""
}
