package mail

import (
	"github.com/xen-pvczar/pvczar/mail/patch"
	"regexp"
	"strings"

	"github.com/xen-pvczar/pvczar"
)

// Trailer is a tag line such as "Acked-by: Name <email>".
type Trailer struct {
	Kind   pvczar.PositionKind // ack, review, test, or "nack" for Nacked-by
	Person Address
	Line   int // in the body, from 1
	// Verified is set when the person is the mail's sender (same address,
	// or same name); only then does the trailer count.
	Verified bool
}

// PositionNack is what a Nacked-by trailer says: a bare NAK, which does not
// block (lifecycle-rules.md), recorded as a comment.
const PositionNack pvczar.PositionKind = "nack"

var trailerKinds = map[string]pvczar.PositionKind{
	"acked-by": pvczar.PositionAck, "reviewed-by": pvczar.PositionReview, "tested-by": pvczar.PositionTest, "nacked-by": PositionNack,
}

var trailerLine = regexp.MustCompile(`(?i)^(acked-by|reviewed-by|tested-by|nacked-by):\s*(.*?)\s*$`)

// Command is a lifecycle command written in a mail.
type Command struct {
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
	CommandObjection          = "Objection"
	CommandObjectionResolved  = "Objection-Resolved"
	CommandObjectionWithdrawn = "Objection-Withdrawn"
	CommandHold               = "Hold"
	CommandRelease            = "Release"
)

var commandLine = regexp.MustCompile(`(?i)^(objection|objection-resolved|objection-withdrawn):\s*(?:([a-z0-9][a-z0-9._-]*-[0-9]+)\s+)?(\S+)\s*$|^(hold|release)(?::?\s*([a-z0-9][a-z0-9._-]*-[0-9]+))?\s*$`)

// ReadText finds the trailers and commands in a mail's body. Quoted
// lines ("> ...") never count, nor does anything after a signature
// separator ("-- ") or in a patch (after a "---" line or a "diff --git").
// Trailers are verified against from.
func ReadText(body string, from Address) ([]Trailer, []Command) {
	var trailers []Trailer
	var commands []Command
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
		c := Command{Line: i + 1}
		if m[1] != "" {
			c.Kind, c.Proposal, c.Name = canonicalCommand(m[1]), strings.ToLower(m[2]), strings.ToLower(m[3])
		} else {
			c.Kind, c.Proposal = canonicalCommand(m[4]), strings.ToLower(m[5])
		}
		if c.Kind == CommandObjection {
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
	for _, k := range []string{CommandObjection, CommandObjectionResolved, CommandObjectionWithdrawn, CommandHold, CommandRelease} {
		if strings.EqualFold(s, k) {
			return k
		}
	}
	return s
}

// parseAddress reads "Name <email>" or a bare address, leniently.
func parseAddress(s string) Address {
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			return Address{Name: strings.Trim(strings.TrimSpace(s[:i]), `"`), Email: strings.ToLower(strings.TrimSpace(s[i+1 : i+j]))}
		}
	}
	if strings.Contains(s, "@") {
		return Address{Email: strings.ToLower(strings.TrimSpace(s))}
	}
	return Address{Name: strings.TrimSpace(s)}
}

// samePerson tells whether a trailer names the sender: the same address,
// or (when either lacks one) the same name.
func samePerson(a, b Address) bool {
	if a.Email != "" && b.Email != "" && strings.EqualFold(a.Email, b.Email) {
		return true
	}
	return a.Name != "" && pvczar.SameName(a.Name, b.Name)
}

// Reading is a mail as pvczar reads it: the tags of its subject and the
// trailers and commands of its body, each read once, for the counts of an
// ingest and for what the mail means to the lifecycle.
type Reading struct {
	Mail     Mail
	Tags     patch.Subject
	Tagged   bool // its subject says PATCH or RFC
	Trailers []Trailer
	Commands []Command
}

// Read reads a mail's subject and body.
func Read(m Mail) Reading {
	r := Reading{Mail: m}
	var err error
	r.Tags, err = patch.ParseSubject(m.Subject)
	r.Tagged = err == nil
	r.Trailers, r.Commands = ReadText(m.Body, m.From)
	return r
}

// StartsThread tells whether the mail starts a patch or RFC thread: it
// answers nothing, and is a cover letter, a first patch, or a lone one.
func (r Reading) StartsThread() bool {
	return r.Tagged && !r.Tags.Reply && r.Mail.InReplyTo == "" && r.Tags.Index <= 1
}

// Proposal returns the proposal the mail belongs to: the one whose
// announcement is among its ancestors (ThreadProposal), else the one its
// commands name (NamedProposal).
func (r Reading) Proposal() (string, bool) {
	if p, ok := ThreadProposal(r.Mail); ok {
		return p, true
	}
	return NamedProposal(r.Commands)
}
