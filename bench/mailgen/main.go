// Command mailgen writes a large mbox archive from a sample one: the
// sample (plain or .gz) COPIES times, each copy's Message-IDs and the
// references to them rewritten ("<id@" becomes "<id.copyN@", as the sed of
// bench/mail.sh did), so that threads and ids stay distinct as in a real,
// larger archive.
//
//	go run ./bench/mailgen SAMPLE COPIES > OUT.mbox
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mailgen SAMPLE COPIES > OUT.mbox")
		os.Exit(2)
	}
	copies, err := strconv.Atoi(os.Args[2])
	if err != nil || copies < 1 {
		fmt.Fprintln(os.Stderr, "mailgen: COPIES must be a positive number")
		os.Exit(2)
	}
	sample, err := read(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailgen:", err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	for i := 1; i <= copies; i++ {
		rewrite(w, sample, []byte(".copy"+strconv.Itoa(i)))
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "mailgen:", err)
		os.Exit(1)
	}
}

func read(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		if r, err = gzip.NewReader(br); err != nil {
			return nil, err
		}
	}
	return io.ReadAll(r)
}

// rewrite writes b with suffix inserted before the '@' of every "<id@"
// (id: one or more bytes other than '<', '>', '@', space and newline),
// as sed -E 's/<([^<>@ ]+)@/<\1SUFFIX@/g' does line by line.
func rewrite(w *bufio.Writer, b, suffix []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			w.Write(b)
			return
		}
		w.Write(b[:i+1])
		b = b[i+1:]
		j := 0
		for j < len(b) && b[j] != '<' && b[j] != '>' && b[j] != '@' && b[j] != ' ' && b[j] != '\n' {
			j++
		}
		if j > 0 && j < len(b) && b[j] == '@' {
			w.Write(b[:j])
			w.Write(suffix)
			w.WriteByte('@')
			b = b[j+1:]
			continue
		}
		w.Write(b[:j])
		b = b[j:]
	}
}
