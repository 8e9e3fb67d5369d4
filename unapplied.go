package pvczar

import (
	"cmp"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// UnappliedMail is a line of mail (a command or a trailer) that carried a
// lifecycle intent and that pvczar could not apply: the fold of a
// mail.unapplied event. The digest lists it for its sender.
type UnappliedMail struct {
	At        time.Time   `json:"at"` // the mail's date
	MessageID string      `json:"message_id"`
	Subject   string      `json:"subject"`
	From      MailAddress `json:"from"`
	User      string      `json:"user,omitempty"`     // the sender's pvczar name, if pvczar knows them
	Proposal  string      `json:"proposal,omitempty"` // the proposal the mail belongs to or names
	Line      string      `json:"line"`               // as written
	Reason    string      `json:"reason"`
}

// MailAddress is the sender of a line of mail that did not count, as the
// mail.unapplied event records them: the name their mail gives and their
// address.
type MailAddress struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

// ActorMail is the actor of a mail.unapplied event whose sender pvczar
// does not know: their address, which only those signed in may see, stays
// in the event's data.
const ActorMail = "mail"

// decideUnapplied checks a mail.unapplied event: only mail ingest makes
// one, from a mail, about one of its lines.
func decideUnapplied(cmd *Event) error {
	d := cmd.Data
	if cmd.Key == "" || d.MessageID == "" || cmd.Source != SourceMailPrefix+d.MessageID {
		return Errorf(EINVALID, "%s events are made by mail ingest, with the mail's Message-ID as their source", cmd.Type)
	}
	if err := requireText("the line", d.Line); err != nil {
		return err
	}
	return requireText("the reason", d.Reason)
}

// DigestAt returns when the latest weekly digest was due at now: Mondays at
// 08:00 UTC. `mail send` mails it once that instant has passed.
func DigestAt(now time.Time) time.Time {
	monday := now.UTC().Truncate(Day)
	for monday.Weekday() != time.Monday {
		monday = monday.Add(-Day)
	}
	at := monday.Add(8 * time.Hour)
	if at.After(now) {
		at = at.Add(-7 * Day)
	}
	return at
}

// LoreURL is the page of a xen-devel message on lore.kernel.org.
func LoreURL(messageID string) string {
	return "https://lore.kernel.org/xen-devel/" + url.PathEscape(strings.Trim(messageID, "<>")) + "/"
}

// unappliedSince returns, for the digest at now, the mail commands not
// applied since the digest before the latest one due (DigestAt), grouped
// by sender, each sender's lines written out. The digest mailed at
// DigestAt(now) thus lists everything since the one before it: the first
// digest after a mail lists it, the one after that no longer does. Read
// in mid-week, the digest also shows what came since, which the next one
// will list. A mail counts by its date, so that reading an old archive
// lists nothing of it.
func (r *Registry) unappliedSince(now time.Time) (time.Time, []string) {
	from := DigestAt(now).Add(-7 * Day)
	bySender := map[string][]UnappliedMail{}
	for _, u := range r.Unapplied {
		if u.At.After(from) && !u.At.After(now) {
			addr := strings.ToLower(u.From.Email)
			bySender[addr] = append(bySender[addr], u)
		}
	}
	type sender struct {
		label, addr string
		mails       []UnappliedMail
	}
	var senders []sender
	for addr, mails := range bySender {
		// By date; a mail's lines stay in the order they were logged.
		slices.SortStableFunc(mails, func(a, b UnappliedMail) int {
			return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.MessageID, b.MessageID))
		})
		senders = append(senders, sender{senderLabel(addr, mails[len(mails)-1]), addr, mails})
	}
	slices.SortFunc(senders, func(a, b sender) int { return cmp.Or(cmp.Compare(a.label, b.label), cmp.Compare(a.addr, b.addr)) })
	var out []string
	for _, s := range senders {
		var b strings.Builder
		fmt.Fprintf(&b, "  %s:\n", s.label)
		last := ""
		for _, u := range s.mails {
			if u.MessageID != last {
				fmt.Fprintf(&b, "    %q, %s\n      %s\n", u.Subject, FormatUTC(u.At), LoreURL(u.MessageID))
				last = u.MessageID
			}
			fmt.Fprintf(&b, "      %q: %s\n", WithoutAddresses(u.Line), u.Reason)
		}
		out = append(out, b.String())
	}
	return from, out
}

// senderLabel names a sender in the digest, which is public: by their
// pvczar name and the name their mail gives, not by their address (whose
// local part stands in when the mail gives no name), as pvczar shows
// addresses to those signed in only. The lines are quoted as written, but
// for the addresses in them (a trailer's), whose domain is left out.
func senderLabel(addr string, u UnappliedMail) string {
	name := strings.TrimSpace(u.From.Name)
	if name == "" {
		name, _, _ = strings.Cut(addr, "@")
	}
	if u.User != "" {
		return u.User + " (" + name + ")"
	}
	return name + " (not a pvczar user)"
}

// mailAddress finds an e-mail address in a line of text.
var mailAddress = regexp.MustCompile(`[^\s<>"',;:@]+@[^\s<>"',;]+`)

// WithoutAddresses keeps of each address in a line its local part, so
// that a public page quoting the line shows no address.
func WithoutAddresses(line string) string {
	return mailAddress.ReplaceAllStringFunc(line, func(a string) string {
		local, _, _ := strings.Cut(a, "@")
		return local + "@…"
	})
}
