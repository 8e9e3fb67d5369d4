package patch

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrNoDiff says a mail's body holds no diff: a reply, or a cover letter.
var ErrNoDiff = errors.New("the body holds no diff")

// DiffError is a diff that cannot be read as it was written: a line wrapped
// by a mail client, a hunk cut short. Line counts from 1 in the body.
type DiffError struct {
	Line   int
	Text   string // the line, shortened
	Reason string
}

func (e *DiffError) Error() string {
	if e.Text == "" {
		return fmt.Sprintf("mangled diff at line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("mangled diff at line %d (%q): %s", e.Line, e.Text, e.Reason)
}

func diffError(n int, line, format string, args ...any) *DiffError {
	line = strings.TrimRight(line, "\r\n")
	if len(line) > 60 {
		line = line[:60] + "…"
	}
	return &DiffError{Line: n, Text: line, Reason: fmt.Sprintf(format, args...)}
}

// ID returns the stable patch-id of the first patch in a mail's body, as
// `git patch-id --stable` computes it: the SHA-1 of each file's diff with
// its whitespace removed and its hunk line numbers and index lines left
// out, the files' sums added up so that their order does not matter. A
// patch posted again unchanged (rebased, with another message, with its
// whitespace changed) keeps its id.
//
// The patch starts at the first "diff --git " line (else the first "diff "
// line), so that a changelog line starting with "diff" does not start it,
// and ends where git's ends. Two departures from git make ID stricter or
// kinder to mail: an empty line inside a hunk counts as an empty context
// line (mail clients strip the trailing space of " \n"; git apply accepts
// it), and a diff that does not read as one (a wrapped line, a hunk cut
// short or longer than its header says) gives a *DiffError naming the line,
// where git would hash on and give an id that matches nothing. A body with
// no diff gives ErrNoDiff.
func ID(body string) (string, error) {
	lines := strings.SplitAfter(body, "\n")
	start := firstDiff(lines)
	if start < 0 {
		return "", ErrNoDiff
	}
	var (
		sum            [sha1.Size]byte
		h              = sha1.New()
		before, after  = -1, -1
		binary         bool
		preOID, postID string
		hunkAt         int  // the line of the current hunk's header
		wantPlus       bool // a "--- " line was read: "+++ " must follow
	)
	flush := func() {
		var one [sha1.Size]byte
		h.Sum(one[:0])
		h.Reset()
		carry := 0
		for i := range sum {
			carry += int(sum[i]) + int(one[i])
			sum[i] = byte(carry)
			carry >>= 8
		}
	}
	end := -1 // the line the patch ended at, if it ended before the body did
	for i := start; i < len(lines) && end < 0; i++ {
		line, n := lines[i], i+1
		if line == "" {
			break
		}
		if strings.HasPrefix(line, "\\ ") && len(line) > 12 { // "\ No newline at end of file"
			continue
		}
		if i > start && startsWithOID(line) {
			end = i // the next commit of a format-patch stream
			break
		}
		if wantPlus {
			if !strings.HasPrefix(line, "+++ ") {
				return "", diffError(n, line, "a %q line must follow the %q line before it", "+++ ", "--- ")
			}
			wantPlus = false
		}
		if before == -1 {
			switch {
			case strings.HasPrefix(line, "GIT binary patch"), strings.HasPrefix(line, "Binary files"):
				binary, before = true, 0
				h.Write([]byte(preOID))
				h.Write([]byte(postID))
				flush()
				continue
			case strings.HasPrefix(line, "index "):
				preOID, postID = indexOIDs(line)
				continue
			case strings.HasPrefix(line, "--- "):
				before, after, wantPlus = 1, 1, true
			case !isAlpha(line[0]):
				end = i
				continue
			}
		}
		if binary {
			if strings.HasPrefix(line, "diff ") {
				binary, before = false, -1
			}
			continue
		}
		if before == 0 && after == 0 {
			if strings.HasPrefix(line, "@@ -") {
				b, a, ok := scanHunkHeader(line)
				if !ok {
					return "", diffError(n, line, "a hunk header should read \"@@ -OLD,COUNT +NEW,COUNT @@\"")
				}
				before, after, hunkAt = b, a, n
				continue
			}
			if !strings.HasPrefix(line, "diff ") {
				if line[0] == '+' || line[0] == '-' && !isSignature(line) {
					return "", diffError(n, line, "the hunk at line %d is longer than its header says", hunkAt)
				}
				end = i
				continue
			}
			flush()
			before, after = -1, -1
		}
		if before != -1 {
			if before+after > 0 && isSignature(line) && (i+1 == len(lines) || isVersion(lines[i+1])) {
				return "", diffError(n, line, "the mail's signature comes inside the hunk at line %d, which wants %d more old and %d more new lines: a hunk cut short", hunkAt, before, after)
			}
			switch c := line[0]; {
			case c == '-':
				before--
			case c == '+':
				after--
			case c == ' ', strings.TrimRight(line, "\r\n") == "":
				before--
				after--
			default:
				return "", diffError(n, line, "the hunk at line %d wants %d more old and %d more new lines, and this is not one: a wrapped or mangled line", hunkAt, before, after)
			}
			if before < 0 || after < 0 {
				return "", diffError(n, line, "the hunk at line %d is longer than its header says", hunkAt)
			}
		}
		h.Write(removeSpace(line))
	}
	last := len(lines)
	if lines[last-1] == "" {
		last-- // the body's final newline starts no line
	}
	if end >= 0 {
		last = end + 1
	}
	if before > 0 || after > 0 {
		return "", &DiffError{Line: last, Reason: fmt.Sprintf("the diff ends inside the hunk at line %d: %d old and %d new lines are missing", hunkAt, before, after)}
	}
	if wantPlus {
		return "", &DiffError{Line: last, Reason: "the diff ends after a \"--- \" line"}
	}
	flush()
	return hex.EncodeToString(sum[:]), nil
}

// firstDiff returns the index of the line the patch starts at, or -1.
func firstDiff(lines []string) int {
	first := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "diff --git ") {
			return i
		}
		if first < 0 && strings.HasPrefix(l, "diff ") {
			first = i
		}
	}
	return first
}

// isSignature reports whether line is the "-- " that ends a mail's text
// and starts its signature (format-patch's git version).
func isSignature(line string) bool {
	return strings.TrimRight(line, "\r\n") == "-- " || strings.TrimRight(line, "\r\n") == "--"
}

// isVersion reports whether line is a version such as format-patch
// writes after the signature's "-- " ("2.39.5").
func isVersion(line string) bool {
	line = strings.TrimRight(line, "\r\n")
	return line == "" || digits(line) > 0 && strings.Trim(line, "0123456789.") == ""
}

// startsWithOID reports whether a line opens the next commit of a stream:
// an object name, alone or after "commit " or "From ".
func startsWithOID(line string) bool {
	line = strings.TrimPrefix(line, "commit ")
	line = strings.TrimPrefix(line, "From ")
	if len(line) < 2*sha1.Size {
		return false
	}
	_, err := hex.DecodeString(line[:2*sha1.Size])
	return err == nil
}

// indexOIDs reads the object names of an "index OLD..NEW MODE" line, as
// git does (a binary file's id is made of them).
func indexOIDs(line string) (string, string) {
	rest := line[len("index "):]
	dots := strings.Index(rest, "..")
	if dots < 0 {
		return "", ""
	}
	post := rest[dots+2:]
	if sp := strings.IndexByte(post, ' '); sp >= 0 {
		post = post[:sp]
	} else if post != "" {
		post = post[:len(post)-1] // git drops the line's last byte, its newline
	}
	return limit(rest[:dots], 64), limit(post, 64)
}

func limit(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// scanHunkHeader reads the line counts of "@@ -a,b +c,d @@" (a count left
// out is 1), ignoring the line numbers.
func scanHunkHeader(line string) (before, after int, ok bool) {
	q := line[len("@@ -"):]
	before, q, ok = scanRange(q)
	if !ok || !strings.HasPrefix(q, " +") {
		return 0, 0, false
	}
	after, _, ok = scanRange(q[2:])
	return before, after, ok
}

// scanRange reads "start[,count]" and returns count (1 when left out) and
// what follows.
func scanRange(s string) (int, string, bool) {
	n := digits(s)
	if n == 0 {
		return 0, s, false
	}
	if n >= len(s) || s[n] != ',' {
		return 1, s[n:], true
	}
	s = s[n+1:]
	n = digits(s)
	count, err := strconv.Atoi(s[:n])
	if n == 0 || err != nil || count > 1<<24 {
		return 0, s, false
	}
	return count, s[n:], true
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// removeSpace drops the bytes C's isspace matches, as git does before
// hashing a line.
func removeSpace(line string) []byte {
	out := make([]byte, 0, len(line))
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case ' ', '\t', '\n', '\v', '\f', '\r':
		default:
			out = append(out, line[i])
		}
	}
	return out
}
