package message

import (
	"bytes"
	"context"
	"strings"

	"github.com/jhillyerd/enmime/v2/mediatype"
)

// stripBinary returns raw without the base64 content of the binary parts
// (application, image, audio or video) of its multiparts, which enmime
// would read through every level of boundaries and decode only to leave
// out of the text: about half of the bytes of list mail that is not a
// single text part. What enmime makes of the rest is the same
// (TestFastPathCorpus, FuzzFastPath): base64 holds no "-", so no line
// dropped could be a boundary, and only whole lines of the alphabet are
// dropped, four characters at a time, so that the decoder fails on the
// rest as it would have on the whole. It returns raw itself when nothing is
// dropped, or when raw is over the limits.
func stripBinary(raw []byte) []byte {
	out, err := checkStructure(context.Background(), raw, true)
	if err != nil {
		return raw
	}
	return out
}

// stripper is stripBinary's part of checkStructure's walk: it reads each
// part's header and drops the lines of its content that may go.
type stripper struct {
	ct, cte  []byte
	inField  *[]byte // the header field being read, if one of those
	hasCT    bool    // the part's header had its Content-Type
	hasCTE   bool    // and its Content-Transfer-Encoding
	unsure   bool    // a line of the part's header could change them
	dropping bool    // in the content of a binary part in base64
	out      []byte  // raw with the dropped lines left out, once one is
	kept     int     // raw[:kept] is in out, or to be
}

// drop tells whether line, at raw[at:], is dropped.
func (s *stripper) drop(raw, line []byte, at int) bool {
	if !s.dropping {
		return false
	}
	if n, ok := base64Line(line); ok && n%4 == 0 {
		if s.out == nil {
			s.out = make([]byte, 0, len(raw))
		}
		s.out = append(s.out, raw[s.kept:at]...)
		s.kept = at + len(line)
		return true
	}
	s.dropping = false
	return false
}

// field reads a header line that starts a field.
func (s *stripper) field(text []byte) {
	s.inField = nil
	switch {
	case len(text) >= 13 && bytes.EqualFold(text[:13], []byte("content-type:")) && !s.hasCT:
		s.ct, s.inField, s.hasCT = append(s.ct[:0], text[13:]...), &s.ct, true
	case len(text) >= 26 && bytes.EqualFold(text[:26], []byte("content-transfer-encoding:")) && !s.hasCTE:
		s.cte, s.inField, s.hasCTE = append(s.cte[:0], text[26:]...), &s.cte, true
	case typeOrEncoding(text):
		// A second one, one enmime may repair (a space before the
		// colon), or a line it would join to the field before: unsure
		// of the part's type.
		s.unsure = true
	}
}

// continued reads a header line that continues a field.
func (s *stripper) continued(text []byte) {
	if s.inField != nil {
		*s.inField = append(*s.inField, text...)
	}
}

// endHeader is the end of the header of a part that is not a multipart.
func (s *stripper) endHeader() {
	s.dropping = !s.unsure && binaryBase64(s.ct, s.cte)
}

// newPart is the start of a part's header.
func (s *stripper) newPart() {
	s.ct, s.cte, s.inField = s.ct[:0], s.cte[:0], nil
	s.hasCT, s.hasCTE, s.unsure, s.dropping = false, false, false, false
}

func (s *stripper) result(raw []byte) []byte {
	if s.out == nil {
		return raw
	}
	return append(s.out, raw[s.kept:]...)
}

// binaryBase64 tells whether a part with these Content-Type and
// Content-Transfer-Encoding values is binary and in base64.
func binaryBase64(ct, cte []byte) bool {
	if !strings.EqualFold(string(bytes.TrimSpace(cte)), "base64") {
		return false
	}
	mtype, _, _, err := mediatype.Parse(string(ct))
	if err != nil {
		return false
	}
	major, _, _ := strings.Cut(strings.ToLower(mtype), "/")
	switch major {
	case "application", "image", "audio", "video":
		return true
	}
	return false
}

// base64Line tells whether line holds only base64 characters, padding and
// white space, and returns how many characters of the alphabet it holds.
func base64Line(line []byte) (int, bool) {
	n := 0
	for _, c := range line {
		switch base64Clean[c] {
		case 1:
			n++
		case 2:
			return 0, false
		default:
			if c != '=' && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				return 0, false
			}
		}
	}
	return n, true
}

// typeOrEncoding tells whether a header line might be read by enmime as a
// Content-Type or Content-Transfer-Encoding field (a second one, or one
// with a space before its colon), or joined to the field before (no colon).
func typeOrEncoding(line []byte) bool {
	name, _, found := bytes.Cut(line, []byte(":"))
	if !found {
		return true
	}
	name = bytes.TrimRight(name, " \t")
	return bytes.EqualFold(name, []byte("content-type")) || bytes.EqualFold(name, []byte("content-transfer-encoding"))
}
