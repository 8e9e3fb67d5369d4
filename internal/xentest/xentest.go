// Package xentest gives tests the parts of xen.git that pvczar's specs and
// checks are compared with: the public headers (xen/include/public) and
// the design documents (docs/misc). It reads a bare or normal git
// directory named by $PVCZAR_XEN_GIT; tests skip, saying so, without it.
package xentest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
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
	gitDir := os.Getenv("PVCZAR_XEN_GIT")
	if gitDir == "" {
		t.Skip("PVCZAR_XEN_GIT is not set: no xen.git to compare with")
	}
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
