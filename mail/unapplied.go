package mail

import (
	"strconv"
	"strings"

	"github.com/xen-pvczar/pvczar"
)

// UnappliedEvent returns the mail.unapplied event that lists line n (from
// 1) of m, which belongs to proposal ("" for none), as not applied for
// reason. Its key is the Message-ID and the line, so that reading the mail
// again records nothing new.
func UnappliedEvent(reg *pvczar.Registry, m Mail, proposal string, line int, reason string) pvczar.Event {
	actor, user := pvczar.ActorMail, ""
	if u := reg.UserByEmail(m.From.Email); u != nil {
		actor, user = u.Name, u.Name
	}
	return pvczar.Event{Type: pvczar.EventMailUnapplied, At: m.Date, Actor: actor, Source: pvczar.SourceMailPrefix + m.MessageID, Key: UnappliedKey(m.MessageID, line),
		Data: pvczar.EventData{Proposal: proposal, MessageID: m.MessageID, Subject: m.Subject, Display: m.From.Name, Email: m.From.Email,
			User: user, Line: bodyLine(m.Body, line), Reason: reason}}
}

// UnappliedKey is the deduplication key of the mail.unapplied event about
// line n of the mail messageID.
func UnappliedKey(messageID string, n int) string {
	return pvczar.SourceMailPrefix + messageID + "/unapplied/" + strconv.Itoa(n)
}

// bodyLine returns line n (from 1) of a body, trimmed ("" when there is none).
func bodyLine(body string, n int) string {
	lines := strings.SplitN(body, "\n", n+1)
	if n < 1 || n > len(lines) {
		return ""
	}
	return strings.TrimSpace(lines[n-1])
}
