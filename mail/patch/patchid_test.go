package patch_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/mail/patch"
)

// repo is a scratch git repository whose commits become patches.
type repo struct {
	t   *testing.T
	dir string
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	r := &repo{t, t.TempDir()}
	r.git("init", "-q")
	return r
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "core.autocrlf=false"}, args...)...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+r.dir, "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// commit writes files ("" removes one), commits them, and returns the
// commit's format-patch mail.
func (r *repo) commit(msg string, files map[string]string) string {
	r.t.Helper()
	for name, text := range files {
		path := filepath.Join(r.dir, name)
		if text == "" {
			r.git("rm", "-q", name)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			r.t.Fatal(err)
		}
		r.git("add", name)
	}
	r.git("commit", "-q", "-m", msg)
	return r.git("format-patch", "-1", "--stdout", "HEAD")
}

// gitPatchID is what `git patch-id --stable` says of a patch.
func (r *repo) gitPatchID(mail string) string {
	r.t.Helper()
	cmd := exec.Command("git", "patch-id", "--stable")
	cmd.Dir = r.dir
	cmd.Stdin = strings.NewReader(mail)
	out, err := cmd.Output()
	if err != nil {
		r.t.Fatalf("git patch-id: %v", err)
	}
	id, _, _ := strings.Cut(string(out), " ")
	return id
}

const source = `#include <stdio.h>

int ring_size(int order)
{
	return 1 << order;
}

int main(void)
{
	printf("%d\n", ring_size(3));
	return 0;
}
`

// TestIDMatchesGit: for patches of several shapes, made by git
// format-patch, ID agrees with git patch-id --stable.
func TestIDMatchesGit(t *testing.T) {
	r := newRepo(t)
	r.commit("base", map[string]string{"ring.c": source, "README": "Rings.\n", "docs/one.txt": "one\ntwo\nthree\n", "bin.dat": "\x00\x01\x02"})
	mails := map[string]string{
		"one hunk":        r.commit("ring: bigger", map[string]string{"ring.c": strings.Replace(source, "1 << order", "2 << order", 1)}),
		"two hunks":       r.commit("ring: two", map[string]string{"ring.c": strings.Replace(strings.Replace(source, "1 << order", "2 << order", 1), "return 0;", "return 1;", 1)}),
		"multi-file":      r.commit("docs and code", map[string]string{"README": "Rings, and more.\n", "docs/one.txt": "one\n2\nthree\n", "docs/new.txt": "new file\n"}),
		"whitespace only": r.commit("indent", map[string]string{"docs/one.txt": "one\n  2\nthree\n"}),
		"no newline":      r.commit("no newline at the end", map[string]string{"README": "Rings, and more."}),
		"one-line file":   r.commit("one-line", map[string]string{"README": "Rings!\n"}),
		"deletion":        r.commit("drop a doc", map[string]string{"docs/new.txt": ""}),
		"binary":          r.commit("binary", map[string]string{"bin.dat": "\x00\x03\x04", "README": "Binary too.\n"}),
	}
	r.git("mv", "docs/one.txt", "docs/renamed.txt")
	r.git("commit", "-q", "-m", "rename")
	mails["rename"] = r.git("format-patch", "-1", "-M", "--stdout", "HEAD")
	if err := os.Chmod(filepath.Join(r.dir, "ring.c"), 0o755); err != nil {
		t.Fatal(err)
	}
	mails["mode and content"] = r.commit("executable", map[string]string{"ring.c": source + "/* end */\n"})
	for name, mail := range mails {
		want := r.gitPatchID(mail)
		got, err := patch.ID(mail)
		if err != nil {
			t.Errorf("%s: %v\n%s", name, err, mail)
			continue
		}
		if got != want || len(got) != 40 {
			t.Errorf("%s: ID %s, git patch-id --stable %s\n%s", name, got, want, mail)
		}
	}
}

// TestIDIgnoresWhatGitIgnores: the same change made again with other
// whitespace, at other line numbers, with its files in another order, and
// with another message keeps its id; another change does not.
func TestIDIgnoresWhatGitIgnores(t *testing.T) {
	r := newRepo(t)
	r.commit("base", map[string]string{"a.c": source, "b.c": source})
	r.git("checkout", "-q", "-b", "one")
	first := r.commit("v1: bigger rings", map[string]string{"a.c": strings.Replace(source, "1 << order", "2 << order", 1), "b.c": strings.Replace(source, "return 0;", "return 2;", 1)})
	r.git("checkout", "-q", "-b", "two", "HEAD~1")
	moved := "/* a comment\n * that moves every line\n */\n" + source
	r.commit("unrelated", map[string]string{"a.c": moved})
	again := r.commit("v2: bigger rings, reworded", map[string]string{"a.c": strings.Replace(moved, "1 << order", "2  <<  order", 1), "b.c": strings.Replace(source, "return 0;", "return 2;", 1)})
	id1, err1 := patch.ID(first)
	id2, err2 := patch.ID(again)
	if err1 != nil || err2 != nil || id1 != id2 {
		t.Fatalf("the same change: %s (%v) and %s (%v)", id1, err1, id2, err2)
	}
	if git := r.gitPatchID(again); git != id2 {
		t.Errorf("git says %s, ID %s", git, id2)
	}
	// The files in the other order: the diff of b.c first.
	i := strings.Index(first, "diff --git a/b.c")
	j := strings.Index(first, "diff --git a/a.c")
	sig := strings.Index(first, "-- \n")
	swapped := first[:j] + first[i:sig] + first[j:i] + first[sig:]
	if id, err := patch.ID(swapped); err != nil || id != id1 {
		t.Errorf("the files swapped: %s (%v), want %s", id, err, id1)
	}
	changed := r.commit("v3: other", map[string]string{"a.c": strings.Replace(moved, "1 << order", "4 << order", 1)})
	if id, _ := patch.ID(changed); id == id1 {
		t.Error("another change has the same id")
	}
}

// TestIDMangled: a diff a mail client damaged gives an error naming the
// line; a body without a diff gives ErrNoDiff; an empty context line whose
// space was stripped keeps the id.
func TestIDMangled(t *testing.T) {
	mail := "Subject: [PATCH] x\n\nThe message.\n---\n x | 2 +-\n\ndiff --git a/x b/x\nindex a1a53b5..9c1e21d 100644\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n \n-b and a long line\n+B and a long line\n-- \n2.39.5\n"
	want, err := patch.ID(mail)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := patch.ID(strings.Replace(mail, "\n \n", "\n\n", 1)); err != nil || got != want {
		t.Errorf("an empty context line stripped of its space: %s (%v), want %s", got, err, want)
	}
	for name, c := range map[string]struct {
		body string
		line int
	}{
		"wrapped":        {strings.Replace(mail, "-b and a long", "-b and a\nlong", 1), 15},
		"truncated":      {mail[:strings.Index(mail, "+B")], 14},
		"no +++":         {strings.Replace(mail, "+++ b/x\n", "", 1), 10},
		"bad header":     {strings.Replace(mail, "@@ -1,3 +1,3 @@", "@@ -1,3 1,3 @@", 1), 11},
		"hunk too long":  {strings.Replace(mail, "+B and", "+B\n+and", 1), 16},
		"hunk too short": {strings.Replace(mail, "-b and a long line\n", "", 1), 15},
	} {
		_, err := patch.ID(c.body)
		var de *patch.DiffError
		if !errors.As(err, &de) || de.Line != c.line {
			t.Errorf("%s: %v, want a DiffError at line %d", name, err, c.line)
		}
	}
	if _, err := patch.ID("Acked-by: A <a@example.org>\n"); !errors.Is(err, patch.ErrNoDiff) {
		t.Errorf("no diff: %v", err)
	}
}

// TestSeries: a series' id stands for all its parts; one part missing or
// from elsewhere is an error that says which.
func TestSeries(t *testing.T) {
	sub := func(s string) patch.Subject {
		p, err := patch.ParseSubject(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	s := patch.NewSeries(sub("[PATCH v2 0/3] cover"))
	if err := s.Add(sub("[PATCH v2 3/3] three"), "c"); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(sub("[PATCH v2 1/3] one"), "a"); err != nil {
		t.Fatal(err)
	}
	_, err := s.ID()
	var se *patch.SeriesError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "lacks 2/3") {
		t.Fatalf("missing part: %v", err)
	}
	for _, bad := range []string{"[PATCH v3 2/3] other version", "[PATCH v2 2/4] other length", "[PATCH v2 0/3] cover again"} {
		if err := s.Add(sub(bad), "b"); !errors.As(err, &se) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if err := s.Add(sub("[PATCH v2 1/3] one"), "changed"); err == nil {
		t.Error("a part with two diffs was accepted")
	}
	if err := s.Add(sub("[PATCH v2 2/3] two"), "b"); err != nil {
		t.Fatal(err)
	}
	id, err := s.ID()
	if err != nil || len(id) != 40 {
		t.Fatalf("complete series: %q %v", id, err)
	}
	lone := patch.NewSeries(sub("[PATCH v4] lone"))
	if err := lone.Add(sub("[PATCH v4] lone"), "abc"); err != nil {
		t.Fatal(err)
	}
	if id, err := lone.ID(); err != nil || id != "abc" {
		t.Errorf("a lone patch's series id: %q %v", id, err)
	}
}
