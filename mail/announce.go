package mail

import (
	"context"
	"fmt"
	"github.com/xen-pvczar/pvczar/mail/msgid"
	"mime"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// Announcement is a mail pvczar sends to the list. Its Key names what it
// announces, so that it is queued once however often announcements are
// computed.
type Announcement struct {
	Key       string
	MessageID string
	InReplyTo string // the proposal's announcement, so that follow-ups thread under it
	// Thread is the list thread the proposal adopted (propose --thread):
	// its announcement answers it, and every follow-up names it among its
	// references, so that all of it reads as one thread where Xen
	// discusses the patch.
	Thread  string
	Subject string
	Body    string
	At      time.Time // when it became due
}

// closingNotice is how long before a window closes its reminder goes out.
const closingNotice = 48 * time.Hour

// Announcements returns what became due in reg after since and by now: the
// weekly digest (Mondays, 08:00 UTC), each proposal's opening, each
// objection, the reminder 48 hours before a window closes, each decision.
// Call reg.AdvanceTo(now) first. domain makes the
// Message-IDs; replies below a proposal's announcement count for it when
// mail is read. With a dashboard's baseURL, each mail ends with links to
// its pages.
func Announcements(reg *pvczar.Registry, since, now time.Time, domain, baseURL string) []Announcement {
	out := announcements(reg, since, now, domain)
	if baseURL = strings.TrimSuffix(baseURL, "/"); baseURL != "" {
		for i, a := range out {
			link := baseURL + "/ (the Czar's queue: " + baseURL + "/queue)"
			if kind, rest, _ := strings.Cut(a.Key, "/"); kind != "digest" { // "proposal/ID", "objection/ID/NAME", ...
				id, _, _ := strings.Cut(rest, "/")
				link = baseURL + "/proposals/" + id
			}
			out[i].Body += "\n-- \nOn the dashboard: " + link + "\n"
		}
	}
	return out
}

func announcements(reg *pvczar.Registry, since, now time.Time, domain string) []Announcement {
	var out []Announcement
	due := func(at time.Time) bool { return at.After(since) && !at.After(now) }
	// The weekly digest: only the latest one due.
	if digestAt := pvczar.DigestAt(now); due(digestAt) {
		year, week := digestAt.ISOWeek()
		name := fmt.Sprintf("%d-W%02d", year, week)
		out = append(out, Announcement{Key: "digest/" + name, MessageID: "pvczar.digest." + name + "@" + domain, At: digestAt,
			Subject: fmt.Sprintf("[PVCZAR] digest, week %s", name), Body: reg.Digest(now)})
	}
	for _, p := range reg.SortedProtocols() {
		for _, pr := range p.Proposals {
			root := msgid.Announcement(pr.ID, domain)
			follow := func(key, subject, body string, at time.Time) {
				out = append(out, Announcement{Key: key, MessageID: strings.ReplaceAll(key, "/", ".") + "." + at.UTC().Format("20060102T150405") + "@" + domain,
					InReplyTo: root, Thread: pr.Thread, Subject: "Re: [PVCZAR] " + pr.ID + ": " + subject, Body: body, At: at})
			}
			if due(pr.Opened) {
				out = append(out, Announcement{Key: "proposal/" + pr.ID, MessageID: root, At: pr.Opened, InReplyTo: pr.Thread, Thread: pr.Thread,
					Subject: fmt.Sprintf("[PVCZAR] %s: move %s from %s to %s", pr.ID, p.ID, pr.From, pr.To), Body: proposalText(p, pr)})
			}
			for _, o := range pr.Objections {
				if due(o.Raised) {
					follow("objection/"+pr.ID+"/"+o.Name, "objection "+o.Name,
						fmt.Sprintf("%s objected to %s (%s).\n\nAbout: %s\nWhat would resolve it: %s\nWhy: %s\n\nIt blocks: %v. The ball is with the %s.\n",
							o.Author, pr.ID, o.Name, o.About, o.Resolution, o.Reason, o.Blocking, o.Ball), o.Raised)
				}
			}
			for _, o := range pr.Objections {
				for i, poke := range o.Pokes {
					if due(poke.At) {
						text := fmt.Sprintf("%s, %s asks for your answer to your objection %s on %s: the ball has been with you since %s.\n", o.Author, poke.Author, o.Name, pr.ID, pvczar.FormatUTC(o.BallSince))
						if poke.Text != "" {
							text += "\n" + poke.Text + "\n"
						}
						follow(fmt.Sprintf("poke/%s/%s/%d", pr.ID, o.Name, i+1), "objection "+o.Name+": your answer is awaited", text, poke.At)
					}
				}
			}
			if reminder := pr.ClosesAt().Add(-closingNotice); pr.Status == pvczar.ProposalOpen && due(reminder) {
				follow("closing/"+pr.ID, "the window closes in 48 hours",
					fmt.Sprintf("The window of %s closes at the end of %s (in 48 hours).\nTo object, reply to this thread before then (see the first mail of the thread).\n", pr.ID, pvczar.FormatAoE(pr.Deadline)), reminder)
			}
			if d := pr.Decision; d != nil && due(d.At) {
				text := fmt.Sprintf("The PV protocols Czar (%s) %s %s on %s.\n", d.By, d.Outcome, pr.ID, pvczar.FormatUTC(d.At))
				if d.Reason != "" {
					text += "\nReason: " + d.Reason + "\n"
				}
				if d.Outcome == pvczar.ProposalAccepted {
					text += fmt.Sprintf("\n%s is now at %s.\n", p.ID, pr.To)
				}
				follow("decision/"+pr.ID, d.Outcome, text, d.At)
			}
		}
	}
	return out
}

// proposalText is the body of a proposal's announcement.
func proposalText(p *pvczar.Protocol, pr *pvczar.Proposal) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s proposes to move %s (%s) from %s to %s.\n\n", pr.Proposer, p.ID, p.Title, pr.From, pr.To)
	if pr.Thread != "" {
		fmt.Fprintf(&b, "It follows this thread, where acks and objections count as below:\n%s\n\n", pvczar.LoreURL(pr.Thread))
	}
	fmt.Fprintf(&b, "Lazy consensus: unless someone raises a specific technical objection, the\nCzar may accept it once the window has closed, at the end of\n%s (the window is %d days).\n\n", pvczar.FormatAoE(pr.Deadline), pr.WindowDays)
	b.WriteString("Gates:\n")
	for _, g := range pr.Gates {
		mark := "[ ]"
		if g.OK() {
			mark = "[x]"
		}
		fmt.Fprintf(&b, "  %s %s: %s\n", mark, g.Gate, g.Detail)
	}
	b.WriteString(`
To object, reply to this mail (anywhere in its thread) with lines of your own:

  Objection: a-short-name
  About: the section, field, key or step it is about
  Resolution: what would resolve it
  Why it matters, in as many lines as it takes.

An objection that says what it is about, what would resolve it and why
blocks the proposal until it is resolved, withdrawn or lapses. Acks count
as "Acked-by: Name <address>" from a maintainer, in their own mail.
`)
	return b.String()
}

// Format writes a as an RFC 5322 message from from to to, dated at.
func (a Announcement) Format(from, to string, at time.Time) []byte {
	var b strings.Builder
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", from)
	header("To", to)
	header("Date", at.UTC().Format(time.RFC1123Z))
	header("Subject", mime.QEncoding.Encode("utf-8", a.Subject))
	header("Message-ID", "<"+a.MessageID+">")
	if a.InReplyTo != "" && a.InReplyTo != a.MessageID {
		header("In-Reply-To", "<"+a.InReplyTo+">")
		refs := "<" + a.InReplyTo + ">"
		if a.Thread != "" && a.Thread != a.InReplyTo {
			refs = "<" + a.Thread + "> " + refs
		}
		header("References", refs)
	}
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "8bit")
	header("X-Pvczar", a.Key)
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(a.Body, "\r\n", "\n"), "\n", "\r\n"))
	return []byte(b.String())
}

// Outgoing is a message in the outbox.
type Outgoing struct {
	ID        int64
	Key       string
	MessageID string
	To        string
	Raw       []byte
	Attempts  int
	LastError string
}

// Outbox keeps the mail pvczar sends until it is sent: each announcement
// once (by its key), retried with backoff while the server is down.
type Outbox interface {
	// Enqueue adds a message unless one with its key is queued or sent; it
	// reports whether it was added.
	Enqueue(ctx context.Context, key, messageID, to string, raw []byte, now time.Time) (bool, error)
	// DueMail returns the unsent messages whose next attempt is due at now.
	DueMail(ctx context.Context, now time.Time) ([]Outgoing, error)
	// ClaimMail takes a due message for one sender until lease ends, so
	// that two senders never send it both; it reports false when another
	// sender has it or it is sent.
	ClaimMail(ctx context.Context, id int64, now, lease time.Time) (bool, error)
	// MarkSent records that a message was sent.
	MarkSent(ctx context.Context, id int64, now time.Time) error
	// MarkFailed records a failed attempt and when to try again.
	MarkFailed(ctx context.Context, id int64, reason string, next time.Time) error
}

// RetryDelay is the wait after the nth failed attempt (from 1): one minute,
// doubling, at most six hours.
func RetryDelay(n int) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}
