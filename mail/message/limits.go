package message

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"regexp"
)

// The limits on one message's MIME structure. The MIME reader's work is
// the message's size times the depth (each level reads through the levels
// above it) plus the text times the text parts (it joins them one by one),
// and the parts times their siblings, so without limits a few megabytes of
// parts took minutes; with them the time grows linearly with the size.
// Real list mail stays below both: a patch with attachments is a handful
// of parts, two or three levels deep; a signed mail with HTML that the list
// wraps once more is five. At the limits a message of 32 MiB takes about
// 4 s (enmime's boundary reader reads byte by byte, through each level).
const (
	MaxParts = 100 // MIME parts, at every level together
	MaxDepth = 6   // multiparts nested in one another
)

// LimitError is returned for a message that exceeds one of the limits; the
// message is not parsed.
type LimitError struct {
	Limit string // "MIME parts" or "MIME depth"
	Max   int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("over the limit of %d %s", e.Max, e.Limit)
}

// The limits' names, as the ingest summary counts them.
const (
	LimitParts = "MIME parts"
	LimitDepth = "MIME depth"
)

var boundaryParam = regexp.MustCompile(`(?i)boundary\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s;]+))`)

// boundaryOf returns the boundary of a multipart Content-Type value, read
// leniently (the MIME reader repairs broken quoting, so a value it would
// accept must not escape the count), or "" for any other type.
func boundaryOf(ct []byte) string {
	if !bytes.Contains(bytes.ToLower(ct), []byte("multipart")) {
		return ""
	}
	if _, params, err := mime.ParseMediaType(string(ct)); err == nil && params["boundary"] != "" {
		return params["boundary"]
	}
	if m := boundaryParam.FindSubmatch(ct); m != nil {
		return string(bytes.TrimSpace(append(append(m[1], m[2]...), m[3]...)))
	}
	return ""
}

// checkStructure walks raw's MIME structure line by line, as the MIME
// reader will, and reports the first limit it exceeds. A delimiter is found
// anywhere in a line, as the reader finds it; a boundary closes the parts
// nested inside it. Its cost is the message's size times at most MaxDepth.
// With strip, it returns raw without the base64 content of its binary
// parts (see stripBinary), in the same walk; else raw.
func checkStructure(ctx context.Context, raw []byte, strip bool) ([]byte, error) {
	var (
		open     []string // boundaries of the open multiparts, innermost last
		inHeader = true
		ct       []byte // the Content-Type of the header being read (its last)
		inCT     bool   // the last header line was (part of) Content-Type
		parts    = 0
		s        stripper
	)
	for n, off := 0, 0; off < len(raw); n++ {
		if n%65536 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		line := raw[off:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i+1]
		}
		at := off
		off += len(line)
		if strip && s.drop(raw, line, at) {
			continue
		}
		text := bytes.TrimRight(line, "\r\n")
		if inHeader {
			switch {
			case len(text) == 0:
				inHeader = false
				b := boundaryOf(ct)
				if b == "" && len(open) == 0 {
					return s.result(raw), nil // the rest is one part's content
				}
				if b != "" {
					if open = append(open, b); len(open) > MaxDepth {
						return nil, &LimitError{Limit: LimitDepth, Max: MaxDepth}
					}
				} else {
					s.endHeader()
				}
			case text[0] == ' ' || text[0] == '\t':
				if inCT {
					ct = append(ct, text...)
				}
				s.continued(text)
			default:
				inCT = len(text) >= 13 && bytes.EqualFold(text[:13], []byte("content-type:"))
				if inCT {
					ct = append(ct[:0], text[13:]...)
				}
				s.field(text)
			}
			continue
		}
		if len(open) == 0 || !bytes.Contains(text, []byte("--")) {
			continue
		}
		for i := len(open) - 1; i >= 0; i-- {
			at := bytes.Index(text, []byte("--"+open[i]))
			if at < 0 {
				continue
			}
			if bytes.HasPrefix(text[at+2+len(open[i]):], []byte("--")) {
				open = open[:i] // its end
				break
			}
			open = open[:i+1]
			if parts++; parts > MaxParts {
				return nil, &LimitError{Limit: LimitParts, Max: MaxParts}
			}
			inHeader, ct, inCT = true, ct[:0], false
			s.newPart()
			break
		}
	}
	return s.result(raw), nil
}

// ctxReader stops reading when ctx ends, so that the MIME reader gives up
// on a message when the ingest is interrupted.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p[:min(len(p), 64<<10)])
}
