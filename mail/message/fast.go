package message

import (
	"bytes"
	"encoding/base64"
	"strings"
	"sync"

	"github.com/jhillyerd/enmime/v2/mediatype"
)

// The fast path reads the common list mail, a single text/plain part in
// UTF-8 or ASCII (plain or base64), without enmime's MIME walk, and gives
// exactly what the full parse gives (TestFastPathCorpus compares them over
// a whole archive, FuzzFastPath over anything). Whatever it is not sure to
// read as enmime does, it leaves to the full parse: a header line enmime
// would repair (no colon, a space or an invalid byte in the name), a header
// without its end, encoded words in the fields read with GetHeader, another
// type, transfer encoding or charset, a charset enmime would guess, an
// attachment, base64 that enmime would find corrupt.

// The header fields the fast path reads, by index.
const (
	fFrom = iota
	fDate
	fSubject
	fMessageID
	fInReplyTo
	fReferences
	fContentType
	fContentTransferEncoding
	fContentDisposition
	nFields
)

var fieldNames = [nFields]string{"from", "date", "subject", "message-id", "in-reply-to", "references",
	"content-type", "content-transfer-encoding", "content-disposition"}

// fastMail is what the fast path read: the first value of each field
// (unfolded and trimmed as enmime does, not decoded) and the text.
type fastMail struct {
	field [nFields]string
	has   [nFields]bool
	text  []byte
}

// header returns the first value of the field named name, as enmime's
// Envelope.GetHeader would: the fast path only takes mails whose fields
// read this way hold no encoded word, so that decoding is the identity.
func (f *fastMail) header(name string) string {
	for i, n := range fieldNames {
		if strings.EqualFold(n, name) {
			return f.field[i]
		}
	}
	return ""
}

// fieldIndex returns the index of the header field name (case-insensitive), or -1.
func fieldIndex(name []byte) int {
	if len(name) < 4 || len(name) > 25 {
		return -1
	}
	for i, n := range fieldNames {
		if len(n) == len(name) && asciiEqualFold(name, n) {
			return i
		}
	}
	return -1
}

func asciiEqualFold(b []byte, s string) bool {
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// validFieldByte is enmime's set of bytes allowed in a header field name.
func validFieldByte(c byte) bool {
	return c > ' ' && c < 0x7f && c != ':'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// fastParse reads raw by the fast path; ok is false when the mail needs
// the full parse.
func fastParse(raw []byte) (f fastMail, ok bool) {
	var vals [nFields][]byte
	cur := -1 // the field whose value is being read, or -1
	pos := 0
	var body []byte
	for {
		nl := bytes.IndexByte(raw[pos:], '\n')
		if nl < 0 {
			return f, false // no end of header: enmime reads it otherwise
		}
		s := raw[pos : pos+nl]
		pos += nl + 1
		if len(s) > 0 && s[len(s)-1] == '\r' {
			s = s[:len(s)-1]
		}
		if len(s) == 0 {
			body = raw[pos:]
			break
		}
		if isSpace(s[0]) { // a continuation
			if pos == nl+1 {
				return f, false // of nothing: enmime refuses the header
			}
			if cur >= 0 {
				vals[cur] = append(append(vals[cur], ' '), trimSpace(s)...)
			}
			continue
		}
		colon := bytes.IndexByte(s, ':')
		if colon <= 0 {
			return f, false
		}
		for _, c := range s[:colon] {
			if !validFieldByte(c) {
				return f, false
			}
		}
		cur = fieldIndex(s[:colon])
		if cur >= 0 && f.has[cur] {
			cur = -1 // only the first value counts
		}
		if cur >= 0 {
			f.has[cur] = true
			vals[cur] = append([]byte(nil), trimSpace(s)[colon+1:]...)
		}
	}
	for i := range vals {
		f.field[i] = string(trimSpace(bytes.TrimLeft(vals[i], " \t")))
	}
	for _, i := range []int{fDate, fSubject, fMessageID, fInReplyTo, fReferences} {
		if strings.Contains(f.field[i], "=?") {
			return f, false
		}
	}
	charset := "us-ascii" // enmime's default for a mail without a Content-Type
	if ct := f.field[fContentType]; ct != "" {
		mtype, params, ok := mediaType(ct)
		if !ok || mtype != "text/plain" {
			return f, false
		}
		if charset = params["charset"]; charset == "" {
			return f, false // enmime would guess it
		}
	}
	if cd := f.field[fContentDisposition]; cd != "" {
		if mtype, _, _, _ := mediatype.Parse(cd); strings.EqualFold(mtype, "attachment") {
			return f, false
		}
	}
	switch strings.ToLower(f.field[fContentTransferEncoding]) {
	case "", "7bit", "8bit", "binary":
		f.text = body
	case "base64":
		var ok bool
		if f.text, ok = decodeBase64(body); !ok {
			return f, false
		}
	default:
		return f, false
	}
	switch strings.ToLower(charset) {
	case "utf-8":
	case "us-ascii", "ascii", "iso-8859-1", "iso-8859-15", "windows-1252":
		// Decoded as single-byte charsets, which leave ASCII as it is.
		if !isASCII(f.text) {
			return f, false
		}
	default:
		return f, false
	}
	return f, true
}

// mediaTypes caches enmime's reading of the few Content-Type values list
// mail carries.
var mediaTypes sync.Map // string → mediaTypeResult

type mediaTypeResult struct {
	mtype   string
	charset string
	ok      bool
}

// The cache's bounds: at most maxCachedMediaTypes values, each at most
// maxCachedMediaType bytes long (so at most 1 MiB however hostile the mail).
const (
	maxCachedMediaTypes = 4096
	maxCachedMediaType  = 256
)

var cachedMediaTypes int64
var cachedMu sync.Mutex

// mediaType reads a Content-Type value as enmime does; ok is false when
// enmime would find it malformed.
func mediaType(ct string) (string, map[string]string, bool) {
	if r, found := mediaTypes.Load(ct); found {
		r := r.(mediaTypeResult)
		return r.mtype, map[string]string{"charset": r.charset}, r.ok
	}
	mtype, params, _, err := mediatype.Parse(ct)
	r := mediaTypeResult{mtype: mtype, charset: params["charset"], ok: err == nil}
	if _, hasName := params["name"]; hasName {
		r.ok = false
	}
	if _, hasBoundary := params["boundary"]; hasBoundary {
		r.ok = false
	}
	cachedMu.Lock()
	if cachedMediaTypes < maxCachedMediaTypes && len(ct) <= maxCachedMediaType {
		cachedMediaTypes++
		mediaTypes.Store(ct, r)
	}
	cachedMu.Unlock()
	return r.mtype, map[string]string{"charset": r.charset}, r.ok
}

// base64Clean tells what enmime's base64 cleaner does with a byte: keep
// it (1), drop it (0); 2: a byte with the high bit set that it would keep
// and the decoder then refuse.
var base64Clean = func() (t [256]byte) {
	for c := 0; c < 256; c++ {
		b := byte(c & 0x7f)
		keep := b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/'
		switch {
		case keep && c >= 0x80:
			t[c] = 2
		case keep:
			t[c] = 1
		}
	}
	return t
}()

// decodeBase64 decodes body as enmime does (every byte outside the
// alphabet dropped, padding too, then decoded without padding); ok is
// false where enmime's decoder would fail.
func decodeBase64(body []byte) ([]byte, bool) {
	clean := make([]byte, 0, len(body))
	for _, c := range body {
		switch base64Clean[c] {
		case 1:
			clean = append(clean, c)
		case 2:
			return nil, false
		}
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, err := base64.RawStdEncoding.Decode(out, clean)
	if err != nil {
		return nil, false
	}
	return out[:n], true
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
