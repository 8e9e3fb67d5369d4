package xen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// Repo is a xen.git checkout or bare repository, read through the git
// command line.
type Repo struct {
	Path   string // as the user named it, for messages
	gitDir string
}

// OpenRepo opens the git repository at path: a work tree or a bare one.
func OpenRepo(ctx context.Context, path string) (*Repo, error) {
	out, err := exec.CommandContext(ctx, "git", "-C", path, "rev-parse", "--absolute-git-dir").Output()
	if err != nil {
		return nil, pvczar.Errorf(pvczar.EINVALID, "%s: not a git repository (%s)", path, gitMessage(err))
	}
	return &Repo{Path: path, gitDir: strings.TrimSpace(string(out))}, nil
}

// gitMessage is the first line git wrote to stderr, or the error.
func gitMessage(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		line, _, _ := strings.Cut(strings.TrimSpace(string(ee.Stderr)), "\n")
		return line
	}
	return err.Error()
}

func (r *Repo) git(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"--git-dir", r.gitDir}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: git %s: %s", r.Path, args[0], gitMessage(err))
	}
	return out, nil
}

// Resolve returns the commit a revision names.
func (r *Repo) Resolve(ctx context.Context, rev string) (string, error) {
	if strings.HasPrefix(rev, "-") {
		return "", pvczar.Errorf(pvczar.EINVALID, "%s: %q is not a revision", r.Path, rev)
	}
	out, err := exec.CommandContext(ctx, "git", "--git-dir", r.gitDir, "rev-parse", "--verify", "--quiet", rev+"^{commit}").Output()
	if err != nil || len(out) == 0 {
		return "", pvczar.Errorf(pvczar.EINVALID, "%s: revision %q does not exist", r.Path, rev)
	}
	return strings.TrimSpace(string(out)), nil
}

// Shallow returns the commits where a shallow clone's history is cut, none
// for a full clone.
func (r *Repo) Shallow(ctx context.Context) ([]string, error) {
	out, err := r.git(ctx, "rev-parse", "--is-shallow-repository")
	if err != nil || strings.TrimSpace(string(out)) != "true" {
		return nil, err
	}
	shallow, err := os.ReadFile(filepath.Join(r.gitDir, "shallow"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Path, err)
	}
	return strings.Fields(string(shallow)), nil
}

// Log reads the commits reachable from rev that change paths, oldest first
// (parents before children), with the blobs they wrote.
func (r *Repo) Log(ctx context.Context, rev string, paths ...string) ([]Commit, error) {
	args := []string{"log", "--topo-order", "--reverse", "--raw", "--no-renames", "--no-abbrev",
		"--format=commit %H %ct %aE%n%w(0,4,4)%B", rev, "--"}
	cmd := exec.CommandContext(ctx, "git", append(append([]string{"--git-dir", r.gitDir}, args...), paths...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	commits, parseErr := parseLog(stdout)
	if parseErr != nil {
		cmd.Process.Kill() // git would block on a pipe nobody reads
	}
	if err := cmd.Wait(); err != nil && parseErr == nil {
		return nil, fmt.Errorf("%s: git log: %s", r.Path, strings.TrimSpace(stderr.String()))
	}
	if parseErr != nil {
		return nil, fmt.Errorf("%s: git log: %w", r.Path, parseErr)
	}
	return commits, nil
}

// parseLog reads `git log --raw --format='commit %H %ct %aE%n%w(0,4,4)%B'`:
// each commit's message comes indented by four spaces.
func parseLog(rd io.Reader) ([]Commit, error) {
	var out []Commit
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "commit "):
			f := strings.Fields(line)
			if len(f) < 3 {
				return nil, fmt.Errorf("unexpected line %q", line)
			}
			secs, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("unexpected date in %q", line)
			}
			c := Commit{ID: f[1], Date: time.Unix(secs, 0).UTC()}
			if len(f) > 3 {
				c.Author = f[3]
			}
			out = append(out, c)
		case strings.HasPrefix(line, ":"):
			if len(out) == 0 {
				return nil, fmt.Errorf("a change before any commit: %q", line)
			}
			meta, path, ok := strings.Cut(line, "\t")
			f := strings.Fields(meta)
			if !ok || len(f) < 5 {
				return nil, fmt.Errorf("unexpected line %q", line)
			}
			if strings.HasPrefix(path, `"`) {
				if p, err := strconv.Unquote(path); err == nil {
					path = p
				}
			}
			ch := Change{Path: path, Blob: f[3], From: f[2]}
			if f[4] == "D" {
				ch.Blob = ""
			}
			if strings.Trim(ch.From, "0") == "" {
				ch.From = ""
			}
			c := &out[len(out)-1]
			c.Changes = append(c.Changes, ch)
		case strings.HasPrefix(line, "    ") && len(out) > 0:
			c := &out[len(out)-1]
			text := strings.TrimSpace(line)
			if c.Subject == "" && len(c.Changes) == 0 {
				c.Subject = text
			} else if id, ok := trailerMessageID(text); ok && !slices.Contains(c.MessageIDs, id) {
				c.MessageIDs = append(c.MessageIDs, id)
			}
		}
	}
	return out, sc.Err()
}

// Blobs reads blobs by id through one `git cat-file --batch`.
func (r *Repo) Blobs(ctx context.Context, ids []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	if len(ids) == 0 {
		return out, nil
	}
	cmd := exec.CommandContext(ctx, "git", "--git-dir", r.gitDir, "cat-file", "--batch")
	var in bytes.Buffer
	for _, id := range ids {
		in.WriteString(id + "\n")
	}
	cmd.Stdin = &in
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	rd := bufio.NewReaderSize(stdout, 1<<16)
	var readErr error
	for _, id := range ids {
		header, err := rd.ReadString('\n')
		if err != nil {
			readErr = err
			break
		}
		f := strings.Fields(header)
		if len(f) < 3 {
			readErr = fmt.Errorf("object %s: %s", id, strings.TrimSpace(header))
			break
		}
		size, err := strconv.Atoi(f[2])
		if err != nil {
			readErr = fmt.Errorf("object %s: bad size in %q", id, strings.TrimSpace(header))
			break
		}
		data := make([]byte, size+1) // the content and its newline
		if _, err := io.ReadFull(rd, data); err != nil {
			readErr = err
			break
		}
		out[id] = data[:size]
	}
	if readErr != nil {
		cmd.Process.Kill() // git would block on a pipe nobody reads
	}
	if err := cmd.Wait(); err != nil && readErr == nil {
		readErr = err
	}
	if readErr != nil {
		return nil, fmt.Errorf("%s: git cat-file: %w", r.Path, readErr)
	}
	return out, nil
}

// Show reads one file at a revision; ok is false when it does not exist.
func (r *Repo) Show(ctx context.Context, rev, path string) (data []byte, ok bool, err error) {
	out, err := exec.CommandContext(ctx, "git", "--git-dir", r.gitDir, "cat-file", "blob", rev+":"+path).Output()
	if err != nil {
		if !r.exists(ctx, rev, path) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("%s: reading %s at %s: %s", r.Path, path, rev, gitMessage(err))
	}
	return out, true, nil
}

func (r *Repo) exists(ctx context.Context, rev, path string) bool {
	return exec.CommandContext(ctx, "git", "--git-dir", r.gitDir, "rev-parse", "--verify", "--quiet", rev+":"+path).Run() == nil
}

// FileChange is one commit's change to one file, with both contents (nil
// for the side where the file did not exist).
type FileChange struct {
	Commit           Commit
	Path             string
	OldBlob, NewBlob string // the contents' object ids ("" where Old or New is nil)
	Old, New         []byte
}

// FileChanges reads every change to paths in the commits reachable from
// rev and, with since, not from since: oldest first, with the contents
// before and after each.
func (r *Repo) FileChanges(ctx context.Context, rev, since string, paths ...string) ([]FileChange, error) {
	head, err := r.Resolve(ctx, rev)
	if err != nil {
		return nil, err
	}
	span := head
	if since != "" {
		base, err := r.Resolve(ctx, since)
		if err != nil {
			return nil, err
		}
		span = base + ".." + head
	}
	commits, err := r.Log(ctx, span, paths...)
	if err != nil {
		return nil, err
	}
	var want []string // each blob once: a change's after is the next one's before
	seen := map[string]bool{"": true}
	for _, c := range commits {
		for _, ch := range c.Changes {
			for _, id := range []string{ch.From, ch.Blob} {
				if !seen[id] {
					seen[id] = true
					want = append(want, id)
				}
			}
		}
	}
	blobs, err := r.Blobs(ctx, want)
	if err != nil {
		return nil, err
	}
	var out []FileChange
	for _, c := range commits {
		for _, ch := range c.Changes {
			fc := FileChange{Commit: c, Path: ch.Path, OldBlob: ch.From, NewBlob: ch.Blob}
			if ch.From != "" {
				fc.Old = blobs[ch.From]
			}
			if ch.Blob != "" {
				fc.New = blobs[ch.Blob]
			}
			out = append(out, fc)
		}
	}
	return out, nil
}
