package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a buffer that a running command writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs `pvczar serve` in-process and returns its URL, its output
// (what it prints and what it logs), and a function that stops it (as
// SIGINT would) and returns its exit code.
func startServe(t *testing.T, args ...string) (string, *syncBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), out, out) }()
	urlPattern := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := urlPattern.FindStringSubmatch(out.String()); m != nil {
			stop := func() int {
				cancel()
				select {
				case code := <-done:
					return code
				case <-time.After(30 * time.Second):
					t.Fatal("serve did not stop within 30 s of the signal")
					return -1
				}
			}
			return m[1], out, stop
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s", code, out.String())
		default:
		}
	}
	cancel()
	t.Fatalf("serve printed no URL: %s", out.String())
	return "", nil, nil
}

// TestServeDemoAndCLIOverHTTP runs the README's server (serve --demo), signs
// the CLI in with the token it prints, acts and reads through --server, and
// stops the server as a signal would: exit 0.
func TestServeDemoAndCLIOverHTTP(t *testing.T) {
	db := t.TempDir() + "/demo.db"
	url, out, stop := startServe(t, "--demo", "--db", db)
	m := regexp.MustCompile(`token, valid for one day: (pvz_\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("serve --demo printed no token: %s", out.String())
	}
	token := m[1]
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"pvcalls", "displif", "cameraif-1", "badge-stale"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the demo board lacks %q", want)
		}
	}
	// Reads through the server match reads of the database.
	remote := mustRun(t, "status", "--json", "--server", url, "--now", "2030-01-01")
	local := mustRun(t, "status", "--json", "--db", db, "--now", "2030-01-01")
	if remote != local {
		t.Errorf("status through the server differs from the database's:\n%s\n%s", remote, local)
	}
	if remote, local := mustRun(t, "rules", "--json", "--server", url), mustRun(t, "rules", "--json", "--db", db); remote != local {
		t.Errorf("rules through the server differ:\n%s\n%s", remote, local)
	}
	// A command through the server acts as the token's user.
	got := mustRun(t, "comment", "cameraif-1", "--text", "from the CLI", "--server", url, "--token", token, "--json")
	var e struct{ Actor, Source string }
	if err := json.Unmarshal([]byte(got), &e); err != nil || e.Actor != "jgross" || e.Source != "api" {
		t.Errorf("comment through the server: %s (%v)", got, err)
	}
	// A spec through the server: the first on a production protocol is its
	// baseline; the next is compared with it, whose text the CLI finds in
	// the events the server pages out.
	// displif is a prototype by SUPPORT.md's facts: the Czar takes it to
	// production first, in the database, on days past.
	day := func(n int) string {
		return time.Now().UTC().Add(time.Duration(n) * 24 * time.Hour).Format(time.RFC3339)
	}
	for _, args := range [][]string{
		{"impl", "displif", "--side", "frontend", "--codebase", "linux", "--upstream", "0123abcd", "--now", day(-20)},
		{"impl", "displif", "--side", "backend", "--codebase", "other", "--upstream", "4567cdef", "--now", day(-20)},
		{"evidence", "displif", "version", "2", "--now", day(-20)},
		{"evidence", "displif", "compatibility", "--backward", "v1 frontends work with v2 backends", "--cross-platform", "one layout on every architecture", "--now", day(-20)},
		{"propose", "displif", "--now", day(-20)},
		{"ack", "displif-1", "--as", "sstabellini", "--now", day(-19)},
		{"tick", "--now", day(-2)},
		{"decide", "accept", "displif-1", "--now", day(-2)},
	} {
		if !slices.Contains(args, "--as") {
			args = append(args, "--as", "jgross")
		}
		mustRun(t, append(args, "--db", db)...)
	}
	mustRun(t, "evidence", "displif", "spec", "--file", "../../specs/displif.yaml", "--commit", "c447b73", "--server", url, "--token", token)
	data, err := os.ReadFile("../../specs/displif.yaml")
	if err != nil {
		t.Fatal(err)
	}
	renumbered := filepath.Join(t.TempDir(), "displif.yaml")
	os.WriteFile(renumbered, []byte(strings.Replace(string(data), "{name: dbuf_create, value: 0x10}", "{name: dbuf_create, value: 0x1f}", 1)), 0o644)
	if code, _, stderr := run(t, "evidence", "displif", "spec", "--file", renumbered, "--server", url, "--token", token); code != 0 || !strings.Contains(stderr, "1 breaking change(s) against the production spec") {
		t.Errorf("a breaking spec through the server: exit %d: %s", code, stderr)
	}
	// Errors keep their exit codes through the server.
	if code, _, stderr := run(t, "decide", "accept", "cameraif-1", "--server", url, "--token", token); code != exitConflict {
		t.Errorf("accepting a blocked proposal through the server: exit %d (%s), want %d", code, stderr, exitConflict)
	}
	if code, _, _ := run(t, "comment", "cameraif-1", "--server", url); code != exitForbidden {
		t.Errorf("acting through the server without a token: exit %d, want %d", code, exitForbidden)
	}
	if code, _, _ := run(t, "protocol", "show", "nope", "--server", url); code != exitNotFound {
		t.Errorf("showing an unknown protocol through the server: exit %d, want %d", code, exitNotFound)
	}
	// Tokens through the server: create, list, revoke; a revoked token fails.
	created := mustRun(t, "token", "create", "--name", "ci", "--server", url, "--token", token, "--json")
	var tok struct {
		Secret string
		Token  struct{ ID string }
	}
	if err := json.Unmarshal([]byte(created), &tok); err != nil || tok.Secret == "" {
		t.Fatalf("token create: %s", created)
	}
	if list := mustRun(t, "token", "list", "--server", url, "--token", tok.Secret); !strings.Contains(list, tok.Token.ID) {
		t.Errorf("token list lacks the new token: %s", list)
	}
	mustRun(t, "token", "revoke", tok.Token.ID, "--server", url, "--token", token)
	if code, _, _ := run(t, "comment", "cameraif-1", "--server", url, "--token", tok.Secret); code != exitForbidden {
		t.Errorf("a revoked token still acts: exit %d", code)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited with %d after the signal", code)
	}
	mustRun(t, "audit", "verify", "--db", db) // exits 6 on any difference
}

// TestServeFinishesRequestsInFlight stops the server while a slow client is
// sending a command: the command completes and is stored, then serve exits 0.
func TestServeFinishesRequestsInFlight(t *testing.T) {
	db := t.TempDir() + "/demo.db"
	url, out, stop := startServe(t, "--demo", "--db", db)
	token := regexp.MustCompile(`(pvz_\S+)`).FindString(out.String())
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", url+"/api/v1/proposals/cameraif-1/positions", pr)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	result := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- -1
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	io.WriteString(pw, `{"kind":"comment",`)
	time.Sleep(200 * time.Millisecond) // the request is in flight
	stopped := make(chan int, 1)
	go func() { stopped <- stop() }()
	time.Sleep(200 * time.Millisecond)
	io.WriteString(pw, `"text":"sent while the server stops"}`)
	pw.Close()
	if status := <-result; status != 201 {
		t.Fatalf("the request in flight got %d, want 201", status)
	}
	if code := <-stopped; code != 0 {
		t.Fatalf("serve exited with %d", code)
	}
	if log := mustRun(t, "log", "cameraif-1", "--db", db, "--json"); !strings.Contains(log, "sent while the server stops") {
		t.Fatalf("the command in flight is not in the log:\n%s", log)
	}
}

// TestServerOneIdentityOneClock: through --server a command acts as the
// token's user at the server's time. An --as that names someone else, or a
// --now on a write, is refused and writes nothing; --now still asks a dry
// run or a read about another time; readers may not tick.
func TestServerOneIdentityOneClock(t *testing.T) {
	db := t.TempDir() + "/demo.db"
	url, out, stop := startServe(t, "--demo", "--db", db)
	defer stop()
	czar := regexp.MustCompile(`token, valid for one day: (pvz_\S+)`).FindStringSubmatch(out.String())[1]
	events := func() int { // people's events (the scheduler's come and go)
		var all []struct{ Actor string }
		json.Unmarshal([]byte(mustRun(t, "log", "--db", db, "--json")), &all)
		n := 0
		for _, e := range all {
			if e.Actor != "clock" {
				n++
			}
		}
		return n
	}
	before := events()
	code, _, stderr := run(t, "ack", "cameraif-1", "--as", "example-author", "--server", url, "--token", czar)
	if code != exitForbidden || !strings.Contains(stderr, `the token is jgross's; it cannot act as "example-author"`) {
		t.Errorf("--as another user with the Czar's token: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "comment", "cameraif-1", "--text", "x", "--as", "example-author", "--server", url); code != exitForbidden || !strings.Contains(stderr, "needs a token") {
		t.Errorf("--as without a token: exit %d: %s", code, stderr)
	}
	yesterday := time.Now().UTC().Add(-24 * time.Hour).Format(time.RFC3339)
	if code, _, stderr := run(t, "comment", "cameraif-1", "--text", "x", "--now", yesterday, "--server", url, "--token", czar); code != exitUsage || !strings.Contains(stderr, "a server records writes at its own time") {
		t.Errorf("--now on a write through the server: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "tick", "--now", yesterday, "--server", url, "--token", czar); code != exitUsage || !strings.Contains(stderr, "a server records writes at its own time") {
		t.Errorf("--now on a tick through the server: exit %d: %s", code, stderr)
	}
	if after := events(); after != before {
		t.Fatalf("refused commands wrote %d event(s)", after-before)
	}
	// --as naming the token's own user is fine.
	mustRun(t, "comment", "cameraif-1", "--text", "mine", "--as", "jgross", "--server", url, "--token", czar)
	// A dry run asks the server about another time, as it asks the database.
	later := "2030-01-01T00:00:00Z"
	remote := mustRun(t, "tick", "--dry-run", "--json", "--now", later, "--server", url, "--token", czar)
	local := mustRun(t, "tick", "--dry-run", "--json", "--now", later, "--db", db)
	if remote != local || !strings.Contains(remote, "window") {
		t.Errorf("tick --dry-run --now through the server differs from the database's:\n%s\n%s", remote, local)
	}
	// A reviewer may not tick.
	created := mustRun(t, "token", "create", "--user", "example-reviewer", "--name", "t", "--as", "jgross", "--db", db, "--json")
	var tok struct{ Secret string }
	json.Unmarshal([]byte(created), &tok)
	if code, _, stderr := run(t, "tick", "--server", url, "--token", tok.Secret); code != exitForbidden || !strings.Contains(stderr, "only maintainers and the Czar may apply the clock") {
		t.Errorf("a reviewer ticking: exit %d: %s", code, stderr)
	}
}

// TestServeNowNotAhead: serve --now may set the server's clock back (a
// replay), never ahead, where its scheduler would log events dated in the
// future.
func TestServeNowNotAhead(t *testing.T) {
	db := t.TempDir() + "/demo.db"
	mustRun(t, "demo", "--db", db)
	ahead := time.Now().UTC().Add(48 * time.Hour).Format(time.RFC3339)
	code, _, stderr := run(t, "serve", "--addr", "127.0.0.1:0", "--db", db, "--now", ahead)
	if code != exitUsage || !strings.Contains(stderr, "is in the future") {
		t.Fatalf("serve --now %s: exit %d: %s", ahead, code, stderr)
	}
}

// TestServeBusyPortFirst: a busy port is reported before anything is
// loaded: serve --demo on a new file fails at once and creates no file.
func TestServeBusyPortFirst(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	db := t.TempDir() + "/demo.db"
	code, _, stderr := run(t, "serve", "--demo", "--db", db, "--addr", busy.Addr().String())
	if code != exitUsage || !strings.Contains(stderr, "cannot listen on "+busy.Addr().String()) {
		t.Fatalf("serve on a busy port: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("serve on a busy port loaded the demo first: %v", err)
	}
}
