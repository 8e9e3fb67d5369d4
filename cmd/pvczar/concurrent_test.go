package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xen-pvczar/pvczar/storetest"
)

// concurrentWrites is how many CLI writes race in
// TestConcurrentCLIWritesNeverConflict.
const concurrentWrites = 1000

// TestConcurrentCLIWritesNeverConflict runs 1,000 CLI writes to one
// protocol at once, as many people's scripts would: each is stamped by the
// store under its write lock, so none is refused because the clock seemed
// to run backwards (a CLI that took its time before the lock lost 8 in 600).
func TestConcurrentCLIWritesNeverConflict(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		concurrentCLIWrites(t, filepath.Join(t.TempDir(), "c.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn, _ := storetest.PostgresSchema(t)
		concurrentCLIWrites(t, dsn)
	})
}

func concurrentCLIWrites(t *testing.T, db string) {
	mustRun(t, "init", "--czar", "george", "--db", db)
	mustRun(t, "protocol", "add", "pvfoo", "--title", "PV Foo", "--as", "george", "--db", db)
	work := make(chan int)
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if code, _, stderr := run(t, "known-issue", "add", "pvfoo", fmt.Sprintf("issue %d", i), "--as", "george", "--db", db); code != 0 {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("write %d: exit %d: %s", i, code, strings.TrimSpace(stderr)))
					mu.Unlock()
				}
			}
		}()
	}
	for i := range concurrentWrites {
		work <- i
	}
	close(work)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d concurrent writes failed; the first: %s", len(failures), concurrentWrites, failures[0])
	}
	if out := mustRun(t, "protocol", "show", "pvfoo", "--db", db, "--json"); strings.Count(out, `"text": "issue `) != concurrentWrites {
		t.Errorf("the protocol does not list %d known issues", concurrentWrites)
	}
	mustRun(t, "audit", "verify", "--db", db)
}
