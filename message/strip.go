package message

import (
	"bytes"
	"strings"

	"github.com/jhillyerd/enmime/v2/mediatype"
)

// stripBinary returns raw without the base64 content of the binary parts
// (application, image, audio or video) of its multiparts, which enmime
// would read through every level of boundaries and decode only to leave
// out of the text: about half of the bytes of list mail that is not a
// single text part. What enmime makes of the rest is the same
// (TestStripCorpus, FuzzStrip): base64 holds no "-", so no line dropped
// could be a boundary, and only whole lines of the alphabet are dropped,
// four characters at a time, so that the decoder fails on the rest as it
// would have on the whole. It returns raw itself when nothing is dropped.
func stripBinary(raw []byte) []byte {
	var (
		open     []string // boundaries of the open multiparts, innermost last
		inHeader = true
		ct, cte  []byte
		inField  *[]byte // the header field being read, if one of those
		dropping bool
		hasCT    bool // the part's header had its Content-Type
		hasCTE   bool // and its Content-Transfer-Encoding
		unsure   bool // a line of the part's header could change them
		out      []byte // raw with the dropped lines left out, once one is
		kept     = 0    // raw[:kept] is in out
	)
	for off := 0; off < len(raw); {
		end := len(raw)
		if i := bytes.IndexByte(raw[off:], '\n'); i >= 0 {
			end = off + i + 1
		}
		line := raw[off:end]
		at := off
		off = end
		if dropping {
			if n, ok := base64Line(line); ok && n%4 == 0 {
				if out == nil {
					out = make([]byte, 0, len(raw))
				}
				out = append(out, raw[kept:at]...)
				kept = end
				continue
			}
			dropping = false
		}
		text := bytes.TrimRight(line, "\r\n")
		if inHeader {
			switch {
			case len(text) == 0:
				inHeader = false
				b := boundaryOf(ct)
				if b == "" && len(open) == 0 {
					return finish(raw, out, kept)
				}
				if b != "" {
					if open = append(open, b); len(open) > MaxDepth {
						return raw
					}
				} else {
					dropping = !unsure && binaryBase64(ct, cte)
				}
			case text[0] == ' ' || text[0] == '\t':
				if inField != nil {
					*inField = append(*inField, text...)
				}
			default:
				inField = nil
				switch {
				case len(text) >= 13 && bytes.EqualFold(text[:13], []byte("content-type:")) && !hasCT:
					ct, inField, hasCT = append(ct[:0], text[13:]...), &ct, true
				case len(text) >= 26 && bytes.EqualFold(text[:26], []byte("content-transfer-encoding:")) && !hasCTE:
					cte, inField, hasCTE = append(cte[:0], text[26:]...), &cte, true
				case typeOrEncoding(text):
					// A second one, one enmime may repair (a space
					// before the colon), or a line it would join to
					// the field before: unsure of the part's type.
					unsure = true
				}
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
				open = open[:i]
				break
			}
			open = open[:i+1]
			inHeader, ct, cte, inField = true, ct[:0], cte[:0], nil
			hasCT, hasCTE, unsure = false, false, false
			break
		}
	}
	return finish(raw, out, kept)
}

func finish(raw, out []byte, kept int) []byte {
	if out == nil {
		return raw
	}
	return append(out, raw[kept:]...)
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
