package mbox_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/mail/mbox"
)

// gitIn runs git in a bare repository and returns its output.
func gitIn(t *testing.T, repo, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"--git-dir", repo}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@x", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@x")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// writeEpoch makes a public-inbox v2 epoch: one commit per message, each
// holding it in the file "m"; an empty string makes a deletion commit.
func writeEpoch(t *testing.T, repo string, messages []string) []string {
	t.Helper()
	if out, err := exec.Command("git", "init", "-q", "--bare", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	var commits []string
	parent := ""
	for _, msg := range messages {
		tree := gitIn(t, repo, "", "mktree")
		if msg != "" {
			blob := gitIn(t, repo, msg, "hash-object", "-w", "--stdin")
			tree = gitIn(t, repo, "100644 blob "+blob+"\tm\n", "mktree")
		}
		args := []string{"commit-tree", tree, "-m", "message"}
		if parent != "" {
			args = append(args, "-p", parent)
		}
		parent = gitIn(t, repo, "", args...)
		commits = append(commits, parent)
	}
	gitIn(t, repo, "", "update-ref", "HEAD", parent)
	return commits
}

func TestPublicInbox(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "git"), 0o755)
	first := writeEpoch(t, filepath.Join(dir, "git", "0.git"), []string{"Subject: one\n\n1\n", "", "Subject: two\n\n2\n"})
	writeEpoch(t, filepath.Join(dir, "git", "1.git"), []string{"Subject: three\n\n3\n"})
	epochs, err := mbox.PublicInboxEpochs(dir)
	if err != nil || len(epochs) != 2 || epochs[0].Number != 0 {
		t.Fatalf("epochs: %v %v", epochs, err)
	}
	read := func(e mbox.Epoch, since string) (subjects []string, last string) {
		err := mbox.ReadEpoch(e, since, func(m *mbox.Message, commit string) error {
			subjects = append(subjects, strings.SplitN(string(m.Raw), "\n", 2)[0])
			last = commit
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return subjects, last
	}
	got, last := read(epochs[0], "")
	if strings.Join(got, ",") != "Subject: one,Subject: two" || last != first[2] {
		t.Fatalf("epoch 0: %v, last %s", got, last)
	}
	// Resuming after the first commit reads only what came later.
	if got, _ := read(epochs[0], first[0]); strings.Join(got, ",") != "Subject: two" {
		t.Fatalf("resumed: %v", got)
	}
	if got, _ := read(epochs[0], last); len(got) != 0 {
		t.Fatalf("resumed at the end: %v", got)
	}
	if got, _ := read(epochs[1], ""); strings.Join(got, ",") != "Subject: three" {
		t.Fatalf("epoch 1: %v", got)
	}
	if _, err := mbox.PublicInboxEpochs(t.TempDir()); err == nil {
		t.Fatal("an empty folder is a public-inbox archive")
	}
}
