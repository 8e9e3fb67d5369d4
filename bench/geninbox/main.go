// Command geninbox writes a public-inbox v2 archive of many messages for
// benchmarks, from a sample list archive repeated with rewritten
// Message-IDs.
//
//	go run ./bench/geninbox -corpus LIST.mbox.gz -out DIR -messages 1000000 [-epoch-size BYTES]
//	go run ./bench/geninbox -corpus LIST.mbox.gz -out DIR -append 1000
//
// Message i of the archive is message i mod n of the corpus (n messages),
// its copy i / n: every Message-ID and reference in it, <local@domain>,
// becomes <local.copyK@domain>, so the ids stay distinct and the threads
// whole, as in a larger archive. Each message is one commit holding it in
// the file "m", as public-inbox writes them, through one git fast-import per
// epoch. An epoch takes messages until their raw size reaches -epoch-size;
// public-inbox rotates at 1 GiB of estimated packed size, which it takes as
// 2.5 times less than the raw size (its PACKING_FACTOR of 0.4), so the
// default is 2.5 GiB of raw messages.
//
// Epochs are written -jobs at a time (default: one per CPU). With -append,
// the messages are added after those already in DIR (their
// count sets where the copies resume), to the last epoch.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar/mail/mbox"
)

func main() {
	corpus := flag.String("corpus", os.Getenv("PVCZAR_CORPUS"), "the sample list archive (mbox, plain or gzip); default $PVCZAR_CORPUS")
	out := flag.String("out", "", "the archive's folder (made)")
	messages := flag.Int("messages", 0, "messages of a new archive")
	appendN := flag.Int("append", 0, "messages to add to the last epoch of the archive in -out")
	epochSize := flag.Int64("epoch-size", 5<<29, "raw bytes of messages per epoch")
	jobs := flag.Int("jobs", runtime.NumCPU(), "epochs written at once")
	flag.Parse()
	if err := run(*corpus, *out, *messages, *appendN, *epochSize, *jobs); err != nil {
		fmt.Fprintln(os.Stderr, "geninbox:", err)
		os.Exit(1)
	}
}

func run(corpus, out string, messages, appendN int, epochSize int64, jobs int) error {
	if corpus == "" || out == "" || (messages > 0) == (appendN > 0) {
		return errors.New("usage: geninbox -corpus FILE -out DIR (-messages N | -append N) [-epoch-size BYTES]")
	}
	start := time.Now()
	sample, err := loadCorpus(corpus)
	if err != nil {
		return err
	}
	g := &generator{sample: sample, out: out, epochSize: epochSize}
	if appendN > 0 {
		err = g.append(appendN)
	} else {
		err = g.create(messages, jobs)
	}
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d messages (%d MB raw) written to %d epochs, %.1f s\n", out, g.written, g.bytes>>20, g.epochs, time.Since(start).Seconds())
	return nil
}

// msgID finds where a copy's suffix goes: before the '@' of each <local@.
var msgID = regexp.MustCompile(`<[^<>@\s]+@`)

// A template is one corpus message cut where the copy's suffix goes.
type template [][]byte

// loadCorpus reads the corpus's messages and cuts each before the '@' of
// each Message-ID or reference.
func loadCorpus(path string) ([]template, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := mbox.NewReader(f, path, mbox.Auto)
	if err != nil {
		return nil, err
	}
	var out []template
	for {
		m, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		var t template
		at := 0
		for _, loc := range msgID.FindAllIndex(m.Raw, -1) {
			t = append(t, m.Raw[at:loc[1]-1])
			at = loc[1] - 1
		}
		out = append(out, append(t, m.Raw[at:]))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no messages", path)
	}
	return out, nil
}

type generator struct {
	sample    []template
	out       string
	epochSize int64

	written, epochs int
	bytes           int64
}

// create writes a new archive of n messages: it cuts them into epochs,
// then writes jobs epochs at a time.
func (g *generator) create(n, jobs int) error {
	if _, err := os.Stat(g.out); err == nil {
		return fmt.Errorf("%s exists", g.out)
	}
	var starts []int // the first message of each epoch
	var size int64
	for i := 0; i < n; i++ {
		if i == 0 || size >= g.epochSize {
			starts = append(starts, i)
			size = 0
		}
		size += int64(g.size(i))
	}
	starts = append(starts, n)
	sem := make(chan struct{}, max(jobs, 1))
	errs := make(chan error, len(starts)-1)
	for epoch := range len(starts) - 1 {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			dir := filepath.Join(g.out, "git", strconv.Itoa(epoch)+".git")
			err := gitRun("", "init", "-q", "--bare", "--initial-branch=master", dir)
			if err == nil {
				err = g.epoch(dir, "", starts[epoch], starts[epoch+1])
			}
			errs <- err
		}()
	}
	var first error
	for range len(starts) - 1 {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return first
	}
	g.epochs = len(starts) - 1
	for i := range n {
		g.bytes += int64(g.size(i))
	}
	g.written = n
	return nil
}

// size is the size of message i.
func (g *generator) size(i int) int {
	t := g.sample[i%len(g.sample)]
	n := len(g.suffix(i)) * (len(t) - 1)
	for _, part := range t {
		n += len(part)
	}
	return n
}

// suffix is what message i adds to the local part of each id.
func (g *generator) suffix(i int) string {
	return ".copy" + strconv.Itoa(i/len(g.sample))
}

// append adds n messages to the last epoch of the archive, after the
// messages of all its epochs.
func (g *generator) append(n int) error {
	epochs, err := mbox.PublicInboxEpochs(g.out)
	if err != nil {
		return err
	}
	have := 0
	for _, e := range epochs {
		c, err := gitOutput(e.Path, "rev-list", "--count", "--first-parent", "HEAD")
		if err != nil {
			return err
		}
		k, err := strconv.Atoi(c)
		if err != nil {
			return fmt.Errorf("%s: rev-list --count: %q", e.Path, c)
		}
		have += k
	}
	if err := g.epoch(epochs[len(epochs)-1].Path, "refs/heads/master^0", have, have+n); err != nil {
		return err
	}
	g.written, g.epochs = n, 1
	for i := have; i < have+n; i++ {
		g.bytes += int64(g.size(i))
	}
	return nil
}

// epoch writes messages first to last (exclusive) into the epoch dir,
// after the commit from ("" for the first).
func (g *generator) epoch(dir, from string, first, last int) error {
	cmd := exec.Command("git", "--git-dir", dir, "fast-import", "--quiet", "--done")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: git fast-import: %w", dir, err)
	}
	w := bufio.NewWriterSize(stdin, 1<<20)
	for i := first; i < last; i++ {
		// 2010-01-01 plus a minute a message.
		fmt.Fprintf(w, "commit refs/heads/master\ncommitter geninbox <geninbox@localhost> %d +0000\ndata 8\nmessage\n", 1262304000+60*i)
		if i == first && from != "" {
			fmt.Fprintf(w, "from %s\n", from)
		}
		fmt.Fprintf(w, "M 100644 inline m\ndata %d\n", g.size(i))
		suffix := g.suffix(i)
		for j, part := range g.sample[i%len(g.sample)] {
			if j > 0 {
				w.WriteString(suffix)
			}
			w.Write(part)
		}
		w.WriteString("\n")
	}
	w.WriteString("done\n")
	if err := w.Flush(); err != nil {
		return fmt.Errorf("%s: git fast-import: %w", dir, err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("%s: git fast-import: %w", dir, err)
	}
	return nil
}

func gitRun(dir string, args ...string) error {
	_, err := gitOutput(dir, args...)
	return err
}

// gitOutput runs git (in the repository dir, unless "") and returns its
// output; its error says what git said.
func gitOutput(dir string, args ...string) (string, error) {
	if dir != "" {
		args = append([]string{"--git-dir", dir}, args...)
	}
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), strings.TrimSpace(string(ee.Stderr)))
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
