package http_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
	pvhttp "github.com/xen-pvczar/pvczar/http"
	"github.com/xen-pvczar/pvczar/sqlite"
	"github.com/xen-pvczar/pvczar/sqlstore"
	"github.com/xen-pvczar/pvczar/verify"
)

// testEnv is a real server on a real SQLite file, with one user of each
// role and a token for each. Its clock starts at start and moves only when
// the test moves it.
type testEnv struct {
	t      *testing.T
	store  *sqlstore.Store
	server *pvhttp.Server
	http   *httptest.Server
	URL    string
	tokens map[string]string // user -> token secret

	mu  sync.Mutex
	now time.Time
}

// The users of a test environment, one per role; "author" owns the protocol
// "testif" and proposed "testif-1"; "objector" objected with "ring-size".
var testUsers = []struct {
	name string
	role pvczar.Role
}{
	{"czar", pvczar.RoleCzar},
	{"maint", pvczar.RoleMaintainer},
	{"author", pvczar.RoleContributor},
	{"other", pvczar.RoleContributor},
	{"objector", pvczar.RoleReviewer},
	{"reviewer", pvczar.RoleReviewer},
	{"reader", pvczar.RoleReader},
}

var testStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// newTestEnv starts a server with the users, their tokens, and a protocol
// "testif" at design with its evidence and an open proposal "testif-1"
// (opened by author) carrying a blocking objection "ring-size" by objector.
func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "test.db"), true, pvczar.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	env := &testEnv{t: t, store: store, tokens: map[string]string{}, now: testStart}
	store.Now = env.clock // the store stamps commands that come without a time
	at := testStart.Add(-3 * pvczar.Day)
	act := func(actor string, typ pvczar.EventType, d pvczar.EventData) {
		t.Helper()
		at = at.Add(time.Minute)
		if _, err := store.Act(ctx, pvczar.Event{Type: typ, At: at, Actor: actor, Source: pvczar.SourceCLI, Data: d}); err != nil {
			t.Fatalf("setting up: %s by %s: %v", typ, actor, err)
		}
	}
	for _, u := range testUsers {
		act("czar", pvczar.EventUserAdded, pvczar.EventData{User: u.name, Role: u.role})
		secret, _, err := store.CreateToken(ctx, u.name, "test", at, 0)
		if err != nil {
			t.Fatal(err)
		}
		env.tokens[u.name] = secret
	}
	yes := true
	act("author", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "testif", Title: "Test interface", Owners: []string{"author"}, Stage: pvczar.StageDesign})
	act("author", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "testif", Evidence: pvczar.EvidenceDesignDoc, Path: "docs/misc/testif.pandoc", Commit: "0123456789ab"})
	act("author", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "testif", Evidence: pvczar.EvidenceDocCheck, Passed: &yes})
	act("author", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "testif", Evidence: pvczar.EvidenceDesignThread, MessageID: "testif-design@example.org"})
	act("author", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "testif", To: pvczar.StagePrototype})
	act("objector", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "testif-1", Objection: "ring-size",
		About: "the ring size key", Resolution: "say what a backend does with a bigger ring", Reason: "frontends disagree today"})
	checked := verify.New(store)
	checked.Now = env.clock
	env.server = pvhttp.New(checked, store, pvhttp.Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: env.clock, Health: store.Ping,
		SignInBurst: 1000, SignInEvery: time.Millisecond})
	env.http = httptest.NewServer(env.server.Handler())
	t.Cleanup(env.http.Close)
	env.URL = env.http.URL
	return env
}

// clock is the server's clock.
func (env *testEnv) clock() time.Time {
	env.mu.Lock()
	defer env.mu.Unlock()
	return env.now
}

// advance moves the server's clock.
func (env *testEnv) advance(d time.Duration) {
	env.mu.Lock()
	env.now = env.now.Add(d)
	env.mu.Unlock()
}

// request sends a request as user ("" for anonymous) with a JSON body
// (when body is not empty) and returns the status and the body.
func (env *testEnv) request(method, path, user, body string) (int, string) {
	env.t.Helper()
	req, err := http.NewRequest(method, env.URL+path, strings.NewReader(body))
	if err != nil {
		env.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+env.tokens[user])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		env.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func count(s, sub string) int { return strings.Count(s, sub) }

// pvczarAll selects every event.
var pvczarAll = pvczar.EventFilter{}

// newStrictSignInServer starts a second server on env's store that allows
// three sign-in attempts per minute, and returns its URL.
func newStrictSignInServer(t *testing.T, env *testEnv) string {
	srv := pvhttp.New(env.store, env.store, pvhttp.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: env.clock, SignInBurst: 3, SignInEvery: time.Minute})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}
