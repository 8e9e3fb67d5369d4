package pvczar

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// MailAddress is a person as a mail names them.
type MailAddress struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

// Mail is a message as pvczar reads it from a list archive.
type Mail struct {
	MessageID string `json:"message_id"`
	// DerivedID is set when the message had no usable Message-ID and
	// MessageID was derived from its contents (stable across ingests).
	DerivedID  bool        `json:"derived_id,omitempty"`
	InReplyTo  string      `json:"in_reply_to,omitempty"`
	References []string    `json:"references,omitempty"`
	From       MailAddress `json:"from"`
	Subject    string      `json:"subject"`
	Date       time.Time   `json:"date"`
	Body       string      `json:"body"` // the plain-text part, in UTF-8
}

// Parent returns the Message-ID this mail answers: In-Reply-To, else the
// last of its References.
func (m Mail) Parent() string {
	if m.InReplyTo != "" {
		return m.InReplyTo
	}
	if n := len(m.References); n > 0 {
		return m.References[n-1]
	}
	return ""
}

// Trailer is a tag line such as "Acked-by: Name <email>".
type Trailer struct {
	Kind   PositionKind // ack, review, test, or "nack" for Nacked-by
	Person MailAddress
	Line   int // in the body, from 1
	// Verified is set when the person is the mail's sender (same address,
	// or same name); only then does the trailer count.
	Verified bool
}

// PositionNack is what a Nacked-by trailer says: a bare NAK, which does not
// block (lifecycle-rules.md), recorded as a comment.
const PositionNack PositionKind = "nack"

var trailerKinds = map[string]PositionKind{
	"acked-by": PositionAck, "reviewed-by": PositionReview, "tested-by": PositionTest, "nacked-by": PositionNack,
}

var trailerLine = regexp.MustCompile(`(?i)^(acked-by|reviewed-by|tested-by|nacked-by):\s*(.*?)\s*$`)

// MailCommand is a lifecycle command written in a mail.
type MailCommand struct {
	Kind string // Objection, Objection-Resolved, Objection-Withdrawn, Hold, Release
	// Proposal is the proposal the line names ("Objection: cameraif-1
	// frame-format", "Hold: cameraif-1"), if it names one: such a command
	// counts wherever on the list it is written.
	Proposal string
	Name     string // the objection's short name
	Reason   string // for an objection: the lines that follow it, up to an empty line
	Line     int
}

// The commands a mail can carry, each on a line of its own.
const (
	MailObjection          = "Objection"
	MailObjectionResolved  = "Objection-Resolved"
	MailObjectionWithdrawn = "Objection-Withdrawn"
	MailHold               = "Hold"
	MailRelease            = "Release"
)

var commandLine = regexp.MustCompile(`(?i)^(objection|objection-resolved|objection-withdrawn):\s*(?:([a-z0-9][a-z0-9._-]*-[0-9]+)\s+)?(\S+)\s*$|^(hold|release)(?::?\s*([a-z0-9][a-z0-9._-]*-[0-9]+))?\s*$`)

// ReadMailText finds the trailers and commands in a mail's body. Quoted
// lines ("> ...") never count, nor does anything after a signature
// separator ("-- ") or in a patch (after a "---" line or a "diff --git").
// Trailers are verified against from.
func ReadMailText(body string, from MailAddress) ([]Trailer, []MailCommand) {
	var trailers []Trailer
	var commands []MailCommand
	lines := strings.Split(body, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r")
		if line == "-- " || line == "---" || strings.HasPrefix(line, "diff --git ") {
			break
		}
		if strings.HasPrefix(strings.TrimLeft(line, " \t"), ">") {
			continue
		}
		if !mayBeTrailerOrCommand(line) {
			continue
		}
		if m := trailerLine.FindStringSubmatch(line); m != nil {
			who := parseAddress(m[2])
			trailers = append(trailers, Trailer{Kind: trailerKinds[strings.ToLower(m[1])], Person: who, Line: i + 1, Verified: samePerson(who, from)})
			continue
		}
		m := commandLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		c := MailCommand{Line: i + 1}
		if m[1] != "" {
			c.Kind, c.Proposal, c.Name = canonicalCommand(m[1]), strings.ToLower(m[2]), strings.ToLower(m[3])
		} else {
			c.Kind, c.Proposal = canonicalCommand(m[4]), strings.ToLower(m[5])
		}
		if c.Kind == MailObjection {
			var reason []string
			for j := i + 1; j < len(lines); j++ {
				next := strings.TrimRight(lines[j], "\r")
				if strings.TrimSpace(next) == "" || strings.HasPrefix(next, ">") || commandLine.MatchString(next) || trailerLine.MatchString(next) {
					break
				}
				reason = append(reason, strings.TrimSpace(next))
				i = j
			}
			c.Reason = strings.Join(reason, "\n")
		}
		commands = append(commands, c)
	}
	return trailers, commands
}

// mayBeTrailerOrCommand is a cheap test that lets most lines skip the
// regular expressions: trailers have "-by:", commands start with o, h or r.
func mayBeTrailerOrCommand(line string) bool {
	for i := strings.IndexByte(line, '-'); i >= 0 && i+3 < len(line); {
		if line[i+1]|0x20 == 'b' && line[i+2]|0x20 == 'y' && line[i+3] == ':' {
			return true
		}
		next := strings.IndexByte(line[i+1:], '-')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	if line == "" {
		return false
	}
	switch line[0] {
	case 'o', 'O', 'h', 'H', 'r', 'R':
		return true
	}
	return false
}

func canonicalCommand(s string) string {
	for _, k := range []string{MailObjection, MailObjectionResolved, MailObjectionWithdrawn, MailHold, MailRelease} {
		if strings.EqualFold(s, k) {
			return k
		}
	}
	return s
}

// parseAddress reads "Name <email>" or a bare address, leniently.
func parseAddress(s string) MailAddress {
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			return MailAddress{Name: strings.Trim(strings.TrimSpace(s[:i]), `"`), Email: strings.ToLower(strings.TrimSpace(s[i+1 : i+j]))}
		}
	}
	if strings.Contains(s, "@") {
		return MailAddress{Email: strings.ToLower(strings.TrimSpace(s))}
	}
	return MailAddress{Name: strings.TrimSpace(s)}
}

// samePerson tells whether a trailer names the sender: the same address,
// or (when either lacks one) the same name.
func samePerson(a, b MailAddress) bool {
	if a.Email != "" && b.Email != "" && strings.EqualFold(a.Email, b.Email) {
		return true
	}
	return a.Name != "" && SameName(a.Name, b.Name)
}

// SameName reports whether two people's names are the same, but for case
// and spacing.
func SameName(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// ArchivedMail is a mail as kept: where it was read, the proposal it
// belongs to ("" for none), and notes on what in it did not count.
type ArchivedMail struct {
	Mail
	Source   string
	Proposal string
	Notes    []string
}

// MailArchive keeps the mail pvczar has read, so that reading an archive
// again adds nothing, and the messages it could not parse, for inspection.
type MailArchive interface {
	// KnownMails returns which of the Message-IDs have been read before.
	KnownMails(ctx context.Context, messageIDs []string) (map[string]bool, error)
	// AddMails keeps a batch in one transaction: its mails (a Message-ID
	// already kept is skipped), its unparsed messages (a content already
	// kept is skipped), and its cursors, so that a cursor never passes
	// mail that is not kept. It returns how many of each were new.
	AddMails(ctx context.Context, batch MailBatch) (MailAdded, error)
	// RecordedKeys returns which of the events' deduplication keys are in
	// the log, with the sequence number of the event that holds each.
	RecordedKeys(ctx context.Context, keys []string) (map[string]int64, error)
	// MailCursor returns where reading source stopped ("" if never read);
	// SetMailCursor records it.
	MailCursor(ctx context.Context, source string) (string, error)
	SetMailCursor(ctx context.Context, source, position string) error
}

// MailBatch is what one step of an ingest keeps, all or nothing.
type MailBatch struct {
	Mails    []ArchivedMail
	Unparsed []UnparsedMail
	Cursors  map[string]string // where reading each source stopped, after this batch
}

// UnparsedMail is a message kept raw: it could not be parsed, or it was
// beyond a limit (Reason says which).
type UnparsedMail struct {
	Source string
	Line   int // of its From_ line in an mbox, else 0
	Raw    []byte
	Reason string
}

// MailAdded counts what AddMails kept that was not kept before.
type MailAdded struct {
	Mails, Unparsed int
}
