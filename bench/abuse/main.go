// Command abuse is bench/abuse.sh's helper. `abuse gen DIR` writes the
// hostile inputs into DIR; `abuse run SECONDS CMD ARGS...` runs a command,
// kills it after SECONDS, and prints one line "seconds|peak MB|exit|first
// line of stderr", the peak resident memory taken from the process's
// rusage (Linux reports it in KiB), so that no tool of the machine is needed.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "gen" {
		if err := gen(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "abuse gen:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) >= 4 && os.Args[1] == "run" {
		secs, err := strconv.Atoi(os.Args[2])
		if err == nil {
			run(time.Duration(secs)*time.Second, os.Args[3:])
			return
		}
	}
	fmt.Fprintln(os.Stderr, "usage: abuse gen DIR | abuse run SECONDS CMD [ARGS...]")
	os.Exit(2)
}

// run runs args with a deadline and prints its row.
func run(limit time.Duration, args []string) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	start := time.Now()
	err := cmd.Run()
	secs := time.Since(start).Seconds()
	exit := "exit 0"
	switch {
	case ctx.Err() != nil:
		exit = fmt.Sprintf("killed after %s", limit)
	case cmd.ProcessState == nil || cmd.ProcessState.ExitCode() < 0:
		if err != nil {
			exit = err.Error()
		}
	case err != nil:
		exit = "exit " + strconv.Itoa(cmd.ProcessState.ExitCode())
	}
	peak := 0.0
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peak = float64(ru.Maxrss) / 1024
		}
	}
	first, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
	if len(first) > 110 {
		first = first[:110] + "…"
	}
	first = strings.ReplaceAll(first, "|", "/")
	fmt.Printf("%.2f|%.0f|%s|%s\n", secs, peak, exit, first)
}

// gen writes every input into dir.
func gen(dir string) error {
	for name, write := range map[string]func(*bufio.Writer){
		"bomb.mbox.gz":      gzipBomb, // compressed, by its name
		"parts.mbox":        manyParts,
		"nested.mbox":       deepNesting,
		"oneline.mbox":      oneLine,
		"headers.mbox":      manyHeaders,
		"limits.mbox":       atTheLimits,
		"laughs.yaml":       billionLaughs,
		"huge-doc.md":       hugeDoc,
		"config-max.json":   func(w *bufio.Writer) { w.WriteString(`{"prototype_window_days": 9223372036854775807}`) },
		"config-null.json":  func(w *bufio.Writer) { w.WriteString("null") },
		"config-empty.json": func(*bufio.Writer) {},
	} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		var out io.Writer = f
		zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
		if strings.HasSuffix(name, ".gz") {
			out = zw
		}
		w := bufio.NewWriterSize(out, 1<<20)
		write(w)
		w.Flush()
		if out == zw {
			zw.Close()
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

func header(w *bufio.Writer, i int, extra string) {
	fmt.Fprintf(w, "From abuse@example.org Mon Nov 30 10:00:00 2026\nFrom: Abuse <abuse@example.org>\nDate: Mon, 30 Nov 2026 10:00:00 +0000\nSubject: abuse %d\nMessage-ID: <abuse-%d@example.org>\n%s", i, i, extra)
}

// gzipBomb: 64 messages of 31 MiB of one repeated line each.
func gzipBomb(w *bufio.Writer) {
	line := strings.Repeat("a", 75) + "\n"
	for i := range 64 {
		header(w, i, "\n")
		for n := 0; n < 31<<20; n += len(line) {
			w.WriteString(line)
		}
		w.WriteString("\n")
	}
}

// manyParts: one message of 100,000 MIME parts.
func manyParts(w *bufio.Writer) {
	header(w, 1, "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n")
	for range 100_000 {
		w.WriteString("--b\nContent-Type: text/plain\n\nx\n")
	}
	w.WriteString("--b--\n\n")
}

// deepNesting: one message of multiparts nested 20,000 deep.
func deepNesting(w *bufio.Writer) {
	header(w, 1, "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n")
	for i := range 20_000 {
		fmt.Fprintf(w, "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i, i+1)
	}
	w.WriteString("--b20000\nContent-Type: text/plain\n\nx\n")
	for i := 20_000; i >= 0; i-- {
		fmt.Fprintf(w, "--b%d--\n", i)
	}
	w.WriteString("\n")
}

// atTheLimits: two messages of 31 MiB of text each, nested 6 deep with 86
// parts: the most MIME work a message within the limits asks for.
func atTheLimits(w *bufio.Writer) {
	line := "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod\n"
	for m := range 2 {
		header(w, m, "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n")
		for i := range 5 {
			fmt.Fprintf(w, "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i, i+1)
		}
		w.WriteString("--b5\nContent-Type: text/plain\n\n")
		for n := 0; n < 31<<20; n += len(line) {
			w.WriteString(line)
		}
		for range 80 {
			w.WriteString("--b5\nContent-Type: text/plain\n\nx\n")
		}
		for i := 5; i >= 0; i-- {
			fmt.Fprintf(w, "--b%d--\n", i)
		}
		w.WriteString("\n")
	}
}

// oneLine: one message whose body is a single line of 50 MB.
func oneLine(w *bufio.Writer) {
	header(w, 1, "\n")
	chunk := strings.Repeat("x", 1<<20)
	for range 50 {
		w.WriteString(chunk)
	}
	w.WriteString("\n\n")
}

// manyHeaders: one message with 10,000 header fields.
func manyHeaders(w *bufio.Writer) {
	header(w, 1, "")
	for i := range 10_000 {
		fmt.Fprintf(w, "X-Abuse-%d: value %d\n", i, i)
	}
	w.WriteString("\nbody\n\n")
}

// billionLaughs: a pvspec file whose aliases, nested nine deep under a
// key of the format, expand to 10^10 numbers.
func billionLaughs(w *bufio.Writer) {
	w.WriteString("pvspec: 1\nid: laughs\ntitle: laughs\nversion: 1\ntypes:\n")
	w.WriteString("  - &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n")
	for i := 1; i <= 9; i++ {
		p := fmt.Sprintf("*a%d", i-1)
		fmt.Fprintf(w, "  - &a%d [%s]\n", i, strings.TrimSuffix(strings.Repeat(p+", ", 10), ", "))
	}
}

// hugeDoc: a design document of about 65 MB: 500,000 sections, each with
// a xenstore key and a layout table.
func hugeDoc(w *bufio.Writer) {
	w.WriteString("# Huge PV protocol\n\n")
	for i := range 500_000 {
		fmt.Fprintf(w, "## Section %d\n\nThe frontend writes `key-%d` (uint32) to xenstore before it connects.\n\n| field | offset | size |\n|---|---|---|\n| f%d | %d | 4 |\n\n", i, i, i, i*4)
	}
}
