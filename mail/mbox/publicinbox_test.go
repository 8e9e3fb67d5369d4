package mbox_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/mail/mbox"
)

func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
}

// gitIn runs git in a bare repository and returns its output.
func gitIn(t *testing.T, repo, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"--git-dir", repo}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@x", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@x")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// writeEpoch commits messages to the public-inbox v2 epoch repo (made when
// it does not exist) as public-inbox does, one commit each on top of
// parent ("" for a new history), and points HEAD at the last. A message
// "D:..." is a deletion: its commit holds the rest in "d" instead of "m";
// an empty message makes a commit with an empty tree. It returns the
// commits, by git fast-import.
func writeEpoch(t *testing.T, repo, parent string, messages []string) []string {
	t.Helper()
	if _, err := os.Stat(repo); err != nil {
		gitIn(t, repo, "", "init", "-q", "--bare")
	}
	var in strings.Builder
	in.WriteString("reset refs/heads/import\n")
	for i, msg := range messages {
		fmt.Fprintf(&in, "commit refs/heads/import\nmark :%d\ncommitter a <a@x> %d +0000\ndata 1\nm\n", i+1, 1700000000+i)
		if i == 0 && parent != "" {
			fmt.Fprintf(&in, "from %s\n", parent)
		} else if i > 0 {
			fmt.Fprintf(&in, "from :%d\n", i)
		}
		in.WriteString("deleteall\n")
		name := "m"
		if body, ok := strings.CutPrefix(msg, "D:"); ok {
			name, msg = "d", body
		}
		if msg != "" {
			fmt.Fprintf(&in, "M 100644 inline %s\ndata %d\n%s\n", name, len(msg), msg)
		}
	}
	marks := filepath.Join(t.TempDir(), "marks")
	gitIn(t, repo, in.String(), "fast-import", "--quiet", "--force", "--export-marks="+marks)
	b, err := os.ReadFile(marks)
	if err != nil {
		t.Fatal(err)
	}
	commits := make([]string, len(messages))
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var n int
		var id string
		if _, err := fmt.Sscanf(line, ":%d %s", &n, &id); err != nil {
			t.Fatalf("marks: %q: %v", line, err)
		}
		commits[n-1] = id
	}
	gitIn(t, repo, "", "update-ref", "refs/heads/master", commits[len(commits)-1])
	gitIn(t, repo, "", "symbolic-ref", "HEAD", "refs/heads/master")
	return commits
}

// readEpoch reads epoch e after since as lines "+first line" for an added
// message and "-first line" for a deleted one; it returns them and the
// last commit read.
func readEpoch(t *testing.T, e mbox.Epoch, since string) (got []string, last string) {
	t.Helper()
	err := e.Read(since, func(c mbox.Commit) error {
		sign := "+"
		if c.Deleted {
			sign = "-"
		}
		if c.Message.Source != e.Path+"@"+c.ID {
			t.Errorf("source %q", c.Message.Source)
		}
		got = append(got, sign+strings.SplitN(string(c.Message.Raw), "\n", 2)[0])
		last = c.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, last
}

func TestPublicInbox(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "git"), 0o755)
	first := writeEpoch(t, filepath.Join(dir, "git", "0.git"), "", []string{"Subject: one\n\n1\n", "", "Subject: two\n\n2\n", "D:Subject: one\n\n1\n"})
	writeEpoch(t, filepath.Join(dir, "git", "1.git"), "", []string{"Subject: three\n\n3\n"})
	epochs, err := mbox.PublicInboxEpochs(dir)
	if err != nil || len(epochs) != 2 || epochs[0].Number != 0 {
		t.Fatalf("epochs: %v %v", epochs, err)
	}
	got, last := readEpoch(t, epochs[0], "")
	if strings.Join(got, ",") != "+Subject: one,+Subject: two,-Subject: one" || last != first[3] {
		t.Fatalf("epoch 0: %v, last %s", got, last)
	}
	// ReadEpoch skips the deletion.
	var subjects []string
	err = mbox.ReadEpoch(epochs[0], "", func(m *mbox.Message, commit string) error {
		subjects = append(subjects, strings.SplitN(string(m.Raw), "\n", 2)[0])
		return nil
	})
	if err != nil || strings.Join(subjects, ",") != "Subject: one,Subject: two" {
		t.Fatalf("ReadEpoch: %v %v", subjects, err)
	}
	// Resuming after the first commit reads only what came later.
	if got, _ := readEpoch(t, epochs[0], first[0]); strings.Join(got, ",") != "+Subject: two,-Subject: one" {
		t.Fatalf("resumed: %v", got)
	}
	if got, _ := readEpoch(t, epochs[0], last); len(got) != 0 {
		t.Fatalf("resumed at the end: %v", got)
	}
	if got, _ := readEpoch(t, epochs[1], ""); strings.Join(got, ",") != "+Subject: three" {
		t.Fatalf("epoch 1: %v", got)
	}
	if _, err := mbox.PublicInboxEpochs(t.TempDir()); err == nil {
		t.Fatal("an empty folder is a public-inbox archive")
	}
}

// TestPublicInboxEpochsGrow: epochs are listed in numeric order, a new
// epoch (even one without a commit yet) is listed on the next call, and
// messages appended to an epoch are read from the last commit read.
func TestPublicInboxEpochsGrow(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	git := filepath.Join(dir, "git")
	os.MkdirAll(git, 0o755)
	for _, n := range []int{10, 2, 0} {
		writeEpoch(t, filepath.Join(git, fmt.Sprintf("%d.git", n)), "", []string{fmt.Sprintf("Subject: %d\n\n", n)})
	}
	os.MkdirAll(filepath.Join(git, "notes.git"), 0o755) // not an epoch
	epochs, err := mbox.PublicInboxEpochs(dir)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, e := range epochs {
		order = append(order, filepath.Base(e.Path))
	}
	if strings.Join(order, " ") != "0.git 2.git 10.git" {
		t.Fatalf("order: %v", order)
	}
	_, last := readEpoch(t, epochs[2], "")

	// public-inbox makes the next epoch before committing to it.
	gitIn(t, filepath.Join(git, "11.git"), "", "init", "-q", "--bare")
	epochs, err = mbox.PublicInboxEpochs(dir)
	if err != nil || len(epochs) != 4 || epochs[3].Number != 11 {
		t.Fatalf("new epoch: %v %v", epochs, err)
	}
	if got, _ := readEpoch(t, epochs[3], ""); len(got) != 0 {
		t.Fatalf("an epoch without commits: %v", got)
	}
	writeEpoch(t, filepath.Join(git, "11.git"), "", []string{"Subject: 11\n\n"})
	if got, _ := readEpoch(t, epochs[3], ""); strings.Join(got, ",") != "+Subject: 11" {
		t.Fatalf("epoch 11: %v", got)
	}

	// Messages appended to epoch 10 are read from where the last read stopped.
	writeEpoch(t, epochs[2].Path, last, []string{"Subject: 10a\n\n", "Subject: 10b\n\n"})
	if got, _ := readEpoch(t, epochs[2], last); strings.Join(got, ",") != "+Subject: 10a,+Subject: 10b" {
		t.Fatalf("appended: %v", got)
	}
}

// TestPublicInboxRewritten: an epoch whose history no longer holds the
// commit where the last read stopped (public-inbox-purge rewrote it, or it
// was replaced) is reported as rewritten, nothing read, and reads whole.
func TestPublicInboxRewritten(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	repo := filepath.Join(dir, "git", "0.git")
	os.MkdirAll(filepath.Dir(repo), 0o755)
	old := writeEpoch(t, repo, "", []string{"Subject: one\n\n", "Subject: secret\n\n", "Subject: three\n\n"})
	// The purge: a new history without the second message.
	writeEpoch(t, repo, "", []string{"Subject: one\n\n", "Subject: three\n\n", "Subject: four\n\n"})
	e := mbox.Epoch{Number: 0, Path: repo}
	read := 0
	err := e.Read(old[2], func(mbox.Commit) error { read++; return nil })
	if !errors.Is(err, mbox.ErrRewritten) || read != 0 || !strings.Contains(err.Error(), old[2]) || !strings.Contains(err.Error(), repo) {
		t.Fatalf("rewritten epoch: %v, %d read", err, read)
	}
	if got, _ := readEpoch(t, e, ""); strings.Join(got, ",") != "+Subject: one,+Subject: three,+Subject: four" {
		t.Fatalf("read whole: %v", got)
	}
	// A commit the epoch does not have at all (gone after gc, or another
	// archive's) is the same case.
	err = mbox.ReadEpoch(e, strings.Repeat("1", 40), func(*mbox.Message, string) error { read++; return nil })
	if !errors.Is(err, mbox.ErrRewritten) || read != 0 {
		t.Fatalf("unknown commit: %v, %d read", err, read)
	}
	// A cursor that is not a commit id is an error, not a rewrite.
	if err := e.Read("not a commit", func(mbox.Commit) error { return nil }); err == nil || errors.Is(err, mbox.ErrRewritten) {
		t.Fatalf("bad cursor: %v", err)
	}
}

// TestPublicInboxStream reads an epoch of more commits than the reader
// keeps in flight, in order, and stops early without hanging when the
// callback fails.
func TestPublicInboxStream(t *testing.T) {
	needGit(t)
	repo := filepath.Join(t.TempDir(), "0.git")
	const n = 5000
	msgs := make([]string, n)
	for i := range msgs {
		msgs[i] = fmt.Sprintf("Subject: %d\n\n%s\n", i, strings.Repeat("x", i%300))
	}
	commits := writeEpoch(t, repo, "", msgs)
	e := mbox.Epoch{Path: repo}
	i := 0
	err := e.Read("", func(c mbox.Commit) error {
		if c.ID != commits[i] || string(c.Message.Raw) != msgs[i] {
			return fmt.Errorf("commit %d: %s %q", i, c.ID, c.Message.Raw)
		}
		i++
		return nil
	})
	if err != nil || i != n {
		t.Fatalf("read %d of %d: %v", i, n, err)
	}
	stop := errors.New("stop")
	i = 0
	err = e.Read(commits[10], func(c mbox.Commit) error {
		if i++; i == 100 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || i != 100 {
		t.Fatalf("stopped after %d: %v", i, err)
	}
}
