package xen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// The paths of xen.git an import follows.
const (
	SupportPath     = "SUPPORT.md"
	MaintainersPath = "MAINTAINERS"
	HeaderDir       = "xen/include/public/io/"
	DocDir          = "docs/misc/"
)

// Tracked are the paths whose history an import reads.
var Tracked = []string{SupportPath, MaintainersPath, HeaderDir, DocDir}

// Commit is one commit that changed a tracked path.
type Commit struct {
	ID      string
	Date    time.Time // the committer's date: when it landed in xen.git
	Author  string    // the author's mail address
	Subject string    // the first line of its message
	// MessageIDs are the mails its trailers name (Link: to lore,
	// Message-Id:): the patch it applied.
	MessageIDs []string
	Changes    []Change
}

// Change is one path a commit wrote or deleted.
type Change struct {
	Path string
	Blob string // the blob written; "" when the commit deleted the path
	From string // the blob it replaced; "" when the commit added the path
}

// History is the part of xen.git an import reads: the commits that changed
// a tracked path, oldest first, and the contents of every SUPPORT.md and of
// the latest MAINTAINERS among them.
type History struct {
	Source  string   // the repository, for messages
	Head    string   // the commit read
	Commits []Commit // parents before children
	// Shallow lists the commits where a shallow clone's history is cut;
	// what came before them is missing.
	Shallow []string
	blobs   map[string][]byte
}

// Blob returns a blob the history holds.
func (h *History) Blob(id string) ([]byte, bool) {
	b, ok := h.blobs[id]
	return b, ok
}

// ReadHistory reads the history of the tracked paths up to rev.
func ReadHistory(ctx context.Context, r *Repo, rev string) (*History, error) {
	head, err := r.Resolve(ctx, rev)
	if err != nil {
		return nil, err
	}
	commits, err := r.Log(ctx, head, Tracked...)
	if err != nil {
		return nil, err
	}
	shallow, err := r.Shallow(ctx)
	if err != nil {
		return nil, err
	}
	h := &History{Source: r.Path, Head: head, Commits: commits, Shallow: shallow}
	var want []string
	lastMaintainers := ""
	for _, c := range commits {
		for _, ch := range c.Changes {
			switch {
			case ch.Blob == "":
			case ch.Path == SupportPath:
				want = append(want, ch.Blob)
			case ch.Path == MaintainersPath:
				lastMaintainers = ch.Blob
			}
		}
	}
	if lastMaintainers != "" {
		want = append(want, lastMaintainers)
	}
	if h.blobs, err = r.Blobs(ctx, want); err != nil {
		return nil, err
	}
	return h, nil
}

// ReadFixture reads a history written by hand, for the demo and for tests
// that need no git: a file of commits, one block each,
//
//	commit <id> <RFC 3339 date> [<author>]
//	A <path> [<file>]           (added or changed: M works as well)
//	D <path>                    (deleted)
//
// where SUPPORT.md and MAINTAINERS name the file holding their content,
// beside the history file in fsys; other paths need none. Lines starting with # are comments.
func ReadFixture(fsys fs.FS, name string) (*History, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	h := &History{Source: name, blobs: map[string][]byte{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		switch {
		case f[0] == "commit" && (len(f) == 3 || len(f) == 4):
			date, err := pvczar.ParseTime(f[2])
			if err != nil {
				return nil, lineErrorf(name, n, "commit date: %s", pvczar.ErrorMessage(err))
			}
			c := Commit{ID: f[1], Date: date}
			if len(f) == 4 {
				c.Author = f[3]
			}
			h.Commits = append(h.Commits, c)
			h.Head = c.ID
		case (f[0] == "A" || f[0] == "M") && (len(f) == 2 || len(f) == 3), f[0] == "D" && len(f) == 2:
			if len(h.Commits) == 0 {
				return nil, lineErrorf(name, n, "a change before any commit")
			}
			c := &h.Commits[len(h.Commits)-1]
			ch := Change{Path: f[1]}
			if f[0] != "D" {
				content := []byte(c.ID + ":" + f[1]) // a distinct blob for a path whose content is not given
				if len(f) == 3 {
					if content, err = fs.ReadFile(fsys, path.Join(path.Dir(name), f[2])); err != nil {
						return nil, lineErrorf(name, n, "%v", err)
					}
				}
				ch.Blob = blobID(content)
				h.blobs[ch.Blob] = content
			}
			c.Changes = append(c.Changes, ch)
		default:
			return nil, lineErrorf(name, n, "want `commit ID DATE [AUTHOR]`, `A PATH [FILE]`, `M PATH [FILE]` or `D PATH`, found %q", clip(line))
		}
	}
	if len(h.Commits) == 0 {
		return nil, lineErrorf(name, 1, "no commits")
	}
	return h, sc.Err()
}

// blobID is git's id of a blob with this content.
func blobID(content []byte) string {
	sum := sha1.New()
	fmt.Fprintf(sum, "blob %d\x00", len(content))
	sum.Write(content)
	return hex.EncodeToString(sum.Sum(nil))
}
