// Package message turns raw mail into a Mail with enmime, which
// survives malformed headers and unknown charsets, and falls back on
// net/mail's header reader when enmime gives up.
package message

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
)

// maxBody bounds the text kept of one message.
const maxBody = 1 << 20

// parser reads MIME without guessing charsets: list mail declares them, and
// guessing (statistical detection over every undeclared part) costs more
// than all the rest of the parsing. Undeclared bytes that are not UTF-8 are
// replaced.
var parser = enmime.NewParser(enmime.DisableCharacterDetection(true))

// ids returns the Message-IDs named in a header, without angle brackets:
// what the expression <([^<>\s]+)> matches, found without it (it was a tenth
// of the time of reading list mail).
func ids(header string) []string {
	var out []string
	for {
		i := strings.IndexByte(header, '<')
		if i < 0 {
			return out
		}
		header = header[i+1:]
		j := strings.IndexAny(header, "<> \t\n\f\r")
		switch {
		case j < 0:
			return out
		case header[j] == '>' && j > 0:
			out = append(out, header[:j])
			header = header[j+1:]
		case header[j] == '<':
			header = header[j:]
		default:
			header = header[j+1:]
		}
	}
}

// ErrNotMail is returned for data that does not start with a header line.
var ErrNotMail = errors.New("no mail header found")

// Parse reads one message. A message without a Message-ID gets a stable
// one derived from its sender, date, subject and text, so that a second
// ingest finds it again. Data that does not start with a header is an
// error, and so is a MIME structure beyond MaxParts or MaxDepth (a
// *LimitError).
func Parse(raw []byte) (Mail, error) {
	return ParseContext(context.Background(), raw)
}

// ParseContext is Parse that stops, returning ctx's error, when ctx ends.
// Within the limits its time grows linearly with the message's size.
func ParseContext(ctx context.Context, raw []byte) (Mail, error) {
	return parse(ctx, raw, true, true)
}

// parse is ParseContext; fast says whether the fast path may read the
// mail (see fastParse) instead of the full MIME parse, strip whether the
// full parse may skip its binary parts' content (see stripBinary).
func parse(ctx context.Context, raw []byte, fast, strip bool) (Mail, error) {
	var m Mail
	first, _, _ := bytes.Cut(raw, []byte("\n"))
	if !bytes.Contains(first, []byte(":")) {
		return m, ErrNotMail
	}
	full, err := checkStructure(ctx, raw, strip) // what the full parse reads
	if err != nil {
		return m, err
	}
	header := func(string) string { return "" }
	var body string
	var f fastMail
	if fast {
		f, fast = fastParse(raw)
	}
	if fast {
		if from, err := enmime.ParseAddressList(f.field[fFrom]); err == nil && len(from) > 0 {
			m.From = Address{Name: from[0].Name, Email: strings.ToLower(from[0].Address)}
		} else if strings.Contains(f.field[fFrom], "=?") {
			fast = false // the fallback below reads the decoded field
		}
	}
	if fast {
		header, body = f.header, string(f.text)
	} else if env, err := readEnvelope(ctx, full); err == nil {
		header, body = env.GetHeader, env.Text
		if from, err := env.AddressList("From"); err == nil && len(from) > 0 {
			m.From = Address{Name: from[0].Name, Email: strings.ToLower(from[0].Address)}
		}
		if d, err := env.Date(); err == nil {
			m.Date = d.UTC()
		}
	} else if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		header = msg.Header.Get
		var b bytes.Buffer
		b.ReadFrom(msg.Body)
		body = b.String()
	} else if err := ctx.Err(); err != nil {
		return m, err
	} else {
		return m, ErrNotMail
	}
	if m.From.Email == "" && m.From.Name == "" {
		if a, err := mail.ParseAddress(header("From")); err == nil {
			m.From = Address{Name: a.Name, Email: strings.ToLower(a.Address)}
		} else {
			m.From = Address{Name: strings.TrimSpace(header("From"))}
		}
	}
	if m.Date.IsZero() {
		if d, err := mail.ParseDate(header("Date")); err == nil {
			m.Date = d.UTC()
		}
	}
	m.Subject = strings.TrimSpace(header("Subject"))
	if len(body) > maxBody {
		body = body[:maxBody]
	}
	if utf8.ValidString(body) { // the common case, checked faster than ToValidUTF8 copies
		m.Body = body
	} else {
		m.Body = strings.ToValidUTF8(body, "\uFFFD")
	}
	if found := ids(header("Message-ID")); len(found) > 0 {
		m.MessageID = found[0]
	} else {
		m.MessageID, m.DerivedID = derivedID(m), true
	}
	if found := ids(header("In-Reply-To")); len(found) > 0 {
		m.InReplyTo = found[0]
	}
	m.References = ids(header("References"))
	return m, nil
}

// readEnvelope reads raw's MIME parts and makes them an envelope, in time
// linear in raw's size: enmime joins the text parts of a multipart one by
// one (each join copies all the text before it), so they are joined here
// first, into the first of them, as it would join them.
func readEnvelope(ctx context.Context, raw []byte) (*enmime.Envelope, error) {
	root, err := parser.ReadParts(ctxReader{ctx, bytes.NewReader(raw)})
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(root.ContentType, "multipart/") && root.ContentType != "multipart/alternative" {
		texts := root.DepthMatchAll(func(p *enmime.Part) bool {
			return p.ContentType == "text/plain" && p.Disposition != "attachment"
		})
		if len(texts) > 1 {
			var joined bytes.Buffer
			for i, p := range texts {
				if i > 0 {
					joined.WriteString("\n--\n")
					p.ContentType = "application/x-pvczar-joined" // no longer text: its text is in the first
				}
				joined.Write(p.Content)
			}
			texts[0].Content = joined.Bytes()
		}
	}
	return parser.EnvelopeFromPart(root)
}

// derivedID is a stable Message-ID for a message that has none.
func derivedID(m Mail) string {
	h := sha256.New()
	for _, s := range []string{m.From.Email, m.From.Name, m.Date.Format(time.RFC3339), m.Subject, m.Body[:min(len(m.Body), 4096)]} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32] + "@derived.pvczar.invalid"
}
