package mail

import (
	"context"
	"log/slog"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/mail/mbox"
	"github.com/xen-pvczar/pvczar/mail/smtp"
)

// SendStore is the store sending works on: the registry, the cursor of the
// announcements queued, and the outbox.
type SendStore interface {
	// Registry returns the registry as it stands at a time (see
	// pvczar.Service).
	Registry(ctx context.Context, at time.Time) (*pvczar.Registry, error)
	Cursors
	Outbox
}

// SendOptions say where pvczar's mail goes.
type SendOptions struct {
	To, From string // the list's address, and pvczar's own
	Domain   string // of pvczar's Message-IDs
	BaseURL  string // the dashboard's address, which each mail links ("" for none)
	// SMTP is the server mail is sent by, unless OutboxMbox names an mbox
	// file to append it to instead.
	SMTP       smtp.Server
	OutboxMbox string
	// Logger hears of mail that could not be sent (none when nil).
	Logger *slog.Logger
}

// SendResult counts what one sending round did.
type SendResult struct{ Queued, Sent, Failed int }

// Send queues the announcements that became due since the last round (or
// since, on the first), then sends what the outbox holds that is due.
func Send(ctx context.Context, store SendStore, o SendOptions, since, now time.Time) (SendResult, error) {
	var r SendResult
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	reg, err := store.Registry(ctx, now)
	if err != nil {
		return r, err
	}
	cursor := "announce:" + o.Domain
	last, err := store.MailCursor(ctx, cursor)
	if err != nil {
		return r, err
	}
	if t, err := time.Parse(time.RFC3339, last); err == nil {
		since = t
	}
	for _, a := range Announcements(reg, since, now, o.Domain, o.BaseURL) {
		added, err := store.Enqueue(ctx, a.Key, a.MessageID, o.To, a.Format(o.From, o.To, now), now)
		if err != nil {
			return r, err
		}
		if added {
			r.Queued++
		}
	}
	if err := store.SetMailCursor(ctx, cursor, now.UTC().Format(time.RFC3339)); err != nil {
		return r, err
	}
	due, err := store.DueMail(ctx, now)
	if err != nil {
		return r, err
	}
	for _, m := range due {
		claimed, err := store.ClaimMail(ctx, m.ID, now, now.Add(10*time.Minute))
		if err != nil {
			return r, err
		}
		if !claimed {
			continue // another sender has it
		}
		if err := deliver(ctx, o.SMTP, o.OutboxMbox, o.From, m, now); err != nil {
			r.Failed++
			next := now.Add(RetryDelay(m.Attempts + 1))
			logger.Warn("mail not sent; it stays in the outbox", "message_id", m.MessageID, "attempt", m.Attempts+1, "next_attempt", next, "err", err)
			if err := store.MarkFailed(ctx, m.ID, err.Error(), next); err != nil {
				return r, err
			}
			continue
		}
		r.Sent++
		if err := store.MarkSent(ctx, m.ID, now); err != nil {
			return r, err
		}
	}
	return r, nil
}

// deliver sends one message by SMTP, or appends it to an mbox file.
func deliver(ctx context.Context, server smtp.Server, mboxPath, from string, m Outgoing, now time.Time) error {
	if mboxPath == "" {
		return server.Send(ctx, envelopeAddress(from), []string{envelopeAddress(m.To)}, m.Raw)
	}
	f, err := os.OpenFile(mboxPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := mbox.Append(f, envelopeAddress(from), now, m.Raw); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// DomainOf returns the domain of an address ("" when it has none).
func DomainOf(addr string) string {
	if a, err := mail.ParseAddress(addr); err == nil {
		addr = a.Address
	}
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}

// envelopeAddress is the bare address SMTP's MAIL FROM needs.
func envelopeAddress(addr string) string {
	if a, err := mail.ParseAddress(addr); err == nil {
		return a.Address
	}
	return addr
}
