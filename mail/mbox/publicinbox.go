package mbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Epoch is one git repository of a public-inbox v2 archive (git/N.git).
type Epoch struct {
	Number int
	Path   string
}

var epochName = regexp.MustCompile(`^(\d+)\.git$`)

// PublicInboxEpochs lists the epochs of the public-inbox v2 archive in dir,
// in order. It reports an error when dir is not such an archive.
func PublicInboxEpochs(dir string) ([]Epoch, error) {
	entries, err := os.ReadDir(filepath.Join(dir, "git"))
	if err != nil {
		return nil, fmt.Errorf("%s: not a public-inbox v2 archive (no git folder of epochs): %w", dir, err)
	}
	var out []Epoch
	for _, e := range entries {
		if m := epochName.FindStringSubmatch(e.Name()); m != nil && e.IsDir() {
			n, _ := strconv.Atoi(m[1])
			out = append(out, Epoch{Number: n, Path: filepath.Join(dir, "git", e.Name())})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: not a public-inbox v2 archive (no git/N.git epochs)", dir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

// ReadEpoch calls fn with each message committed to the epoch after the
// commit since ("" for all), oldest first, and with the commit that holds
// it, so that the caller can resume from there. Each commit of a
// public-inbox epoch holds one message in the file "m" (a commit without
// one deletes a message and is skipped). It reads through git, which must
// be installed, one process for the commit list and one for the blobs.
func ReadEpoch(e Epoch, since string, fn func(m *Message, commit string) error) error {
	args := []string{"--git-dir", e.Path, "rev-list", "--reverse", "--first-parent", "HEAD"}
	if since != "" {
		args = append(args[:len(args)-1], since+"..HEAD")
	}
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("%s: git rev-list: %s", e.Path, strings.TrimSpace(string(ee.Stderr)))
		}
		return fmt.Errorf("%s: git: %w", e.Path, err)
	}
	commits := strings.Fields(string(out))
	if len(commits) == 0 {
		return nil
	}
	cmd := exec.Command("git", "--git-dir", e.Path, "cat-file", "--batch")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: git cat-file: %w", e.Path, err)
	}
	go func() {
		w := bufio.NewWriter(stdin)
		for _, c := range commits {
			fmt.Fprintf(w, "%s:m\n", c)
		}
		w.Flush()
		stdin.Close()
	}()
	br := bufio.NewReaderSize(stdout, 64<<10)
	var readErr error
	for _, c := range commits {
		header, err := br.ReadString('\n')
		if err != nil {
			readErr = fmt.Errorf("%s: git cat-file: %w", e.Path, err)
			break
		}
		fields := strings.Fields(header)
		if len(fields) == 2 && fields[1] == "missing" {
			continue // a deletion
		}
		if len(fields) != 3 || fields[1] != "blob" {
			readErr = fmt.Errorf("%s: commit %s: unexpected %q", e.Path, c, strings.TrimSpace(header))
			break
		}
		size, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			readErr = fmt.Errorf("%s: commit %s: bad size %q", e.Path, c, fields[2])
			break
		}
		m := &Message{Source: e.Path + "@" + c}
		var buf bytes.Buffer
		if _, err := io.CopyN(&buf, br, min(size, MaxMessageSize)); err != nil {
			readErr = err
			break
		}
		if size > MaxMessageSize {
			m.Truncated = true
			if _, err := io.CopyN(io.Discard, br, size-MaxMessageSize); err != nil {
				readErr = err
				break
			}
		}
		if _, err := br.ReadByte(); err != nil { // the newline after the blob
			readErr = err
			break
		}
		m.Raw = buf.Bytes()
		if err := fn(m, c); err != nil {
			readErr = err
			break
		}
	}
	if readErr != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return readErr
	}
	return cmd.Wait()
}
