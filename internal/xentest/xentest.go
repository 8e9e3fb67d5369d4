// Package xentest gives tests the parts of xen.git that pvczar's specs and
// checks are compared with: the public headers (xen/include/public) and
// the design documents (docs/misc). It reads a bare or normal git
// directory named by $PVCZAR_XEN_GIT; tests skip, saying so, without it.
// It also builds small git repositories from history fixtures, for the
// tests of the xen.git importer.
package xentest

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar/xen"
)

var (
	once sync.Once
	dir  string
	rev  string
	err  error
)

// Tree returns a directory holding xen.git's xen/include/public and
// docs/misc at $PVCZAR_XEN_REV (default HEAD), and the commit it is. The
// directory is kept in the temporary directory, one per commit, and shared
// by every test and run: do not change it.
func Tree(t testing.TB) (root, commit string) {
	t.Helper()
	gitDir := GitDir(t)
	once.Do(func() {
		ref := os.Getenv("PVCZAR_XEN_REV")
		if ref == "" {
			ref = "HEAD"
		}
		var out []byte
		out, err = exec.Command("git", "--git-dir", gitDir, "rev-parse", ref+"^{commit}").Output()
		if err != nil {
			return
		}
		rev = string(out[:len(out)-1])
		// One extracted tree per commit, shared by test processes and runs.
		dir = filepath.Join(os.TempDir(), "pvczar-xen-"+rev)
		if _, statErr := os.Stat(filepath.Join(dir, "xen")); statErr == nil {
			return
		}
		var tmp string
		tmp, err = os.MkdirTemp("", "pvczar-xen-tmp-")
		if err != nil {
			return
		}
		defer os.RemoveAll(tmp)
		archive := exec.Command("git", "--git-dir", gitDir, "archive", rev, "xen/include/public", "docs/misc")
		untar := exec.Command("tar", "-x", "-C", tmp)
		untar.Stdin, _ = archive.StdoutPipe()
		if err = untar.Start(); err != nil {
			return
		}
		if err = archive.Run(); err != nil {
			return
		}
		if err = untar.Wait(); err != nil {
			return
		}
		// Another process may have won the race: its tree is as good.
		if os.Rename(tmp, dir) != nil {
			if _, statErr := os.Stat(filepath.Join(dir, "xen")); statErr != nil {
				err = fmt.Errorf("could not put the tree at %s", dir)
			}
		}
	})
	if err != nil {
		t.Fatalf("reading xen.git at %s: %v", gitDir, err)
	}
	return dir, rev
}

// Path is a file of the tree, e.g. Path(t, "xen/include/public/io/pvcalls.h").
func Path(t testing.TB, name string) string {
	root, _ := Tree(t)
	p := filepath.Join(root, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("xen.git has no %s: %v", name, err)
	}
	return p
}

// GitDir returns $PVCZAR_XEN_GIT, skipping the test without it.
func GitDir(t testing.TB) string {
	t.Helper()
	gitDir := os.Getenv("PVCZAR_XEN_GIT")
	if gitDir == "" {
		t.Skip("PVCZAR_XEN_GIT is not set: no xen.git to compare with")
	}
	return gitDir
}

// FixtureRepo builds a git repository in a temporary directory from a
// history fixture (the format of xen.ReadFixture), one commit per fixture
// commit with its date and author, and returns its directory and the
// commit each fixture id became.
func FixtureRepo(t testing.TB, fsys fs.FS, history string) (dir string, commits map[string]string) {
	t.Helper()
	h, err := xen.ReadFixture(fsys, history)
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	git := func(env []string, args ...string) string { return gitEnv(t, dir, env, args...) }
	git(nil, "init", "-q", "-b", "main")
	commits = map[string]string{}
	for _, c := range h.Commits {
		for _, ch := range c.Changes {
			p := filepath.Join(dir, filepath.FromSlash(ch.Path))
			if ch.Blob == "" {
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
				continue
			}
			data, _ := h.Blob(ch.Blob)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		author := c.Author
		if author == "" {
			author = "fixture@example.org"
		}
		date := c.Date.Format(time.RFC3339)
		env := []string{"GIT_AUTHOR_NAME=" + author, "GIT_AUTHOR_EMAIL=" + author, "GIT_AUTHOR_DATE=" + date,
			"GIT_COMMITTER_NAME=" + author, "GIT_COMMITTER_EMAIL=" + author, "GIT_COMMITTER_DATE=" + date}
		git(env, "add", "-A")
		git(env, "commit", "-q", "--allow-empty", "-m", "fixture commit "+c.ID)
		commits[c.ID] = git(nil, "rev-parse", "HEAD")
	}
	return dir, commits
}

// Git runs git in dir with no user or system configuration, as a test
// person, and returns its output; a failure fails the test.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return gitEnv(t, dir, []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org"}, args...)
}

func gitEnv(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
