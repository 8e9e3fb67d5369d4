// Command readinbox reads a public-inbox v2 archive with the mbox package's
// epoch reader and counts what it read, for benchmarks: the reading alone,
// without parsing or storing.
//
//	go run ./bench/readinbox [-cursors FILE] DIR
//
// With -cursors, each epoch is read after the commit the file records for
// it (as the ingest records it in the database), and the file is rewritten
// with the last commit read of each epoch; an epoch rewritten since is read
// whole. It prints one line: messages, deleted, epochs, MB read, the
// reader's peak RSS and the peak RSS of its largest git child, in KB.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"syscall"

	"github.com/xen-pvczar/pvczar/mail/mbox"
)

func main() {
	cursors := flag.String("cursors", "", "a JSON file of the last commit read in each epoch (read, then rewritten)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: readinbox [-cursors FILE] DIR")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *cursors); err != nil {
		fmt.Fprintln(os.Stderr, "readinbox:", err)
		os.Exit(1)
	}
}

func run(dir, cursorFile string) error {
	last := map[string]string{} // epoch path -> last commit read
	if cursorFile != "" {
		b, err := os.ReadFile(cursorFile)
		if err == nil {
			err = json.Unmarshal(b, &last)
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: %w", cursorFile, err)
		}
	}
	epochs, err := mbox.PublicInboxEpochs(dir)
	if err != nil {
		return err
	}
	var added, deleted int
	var bytes int64
	for _, e := range epochs {
		count := func(c mbox.Commit) error {
			if c.Deleted {
				deleted++
			} else {
				added++
			}
			bytes += int64(len(c.Message.Raw))
			last[e.Path] = c.ID
			return nil
		}
		err := e.Read(last[e.Path], count)
		if errors.Is(err, mbox.ErrRewritten) {
			fmt.Fprintf(os.Stderr, "readinbox: %v: reading it whole\n", err)
			err = e.Read("", count)
		}
		if err != nil {
			return err
		}
	}
	if cursorFile != "" {
		b, err := json.MarshalIndent(last, "", "\t")
		if err != nil {
			return err
		}
		if err := os.WriteFile(cursorFile, b, 0o644); err != nil {
			return err
		}
	}
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	fmt.Println(added, deleted, len(epochs), bytes>>20, self.Maxrss, children.Maxrss)
	return nil
}
