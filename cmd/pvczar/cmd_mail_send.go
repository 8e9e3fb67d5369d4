package main

import (
	"context"
	"flag"
	"fmt"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/mbox"
	"github.com/xen-pvczar/pvczar/smtp"
	"github.com/xen-pvczar/pvczar/sqlstore"
)

func init() {
	register(&command{
		name: "mail send", summary: "queue the announcements that are due (proposals, objections, 48-hour reminders, decisions) and send the outbox by SMTP or to an mbox file", nargs: [2]int{0, 0},
		flags: func(fs *flag.FlagSet, o *opts) {
			mailFlags(fs, o)
			fs.StringVar(&o.since, "since", "", "on the first run, announce what became due after this time (default: one day before now)")
		},
		run: runMailSend,
	})
}

// mailFlags declares where mail goes, for `mail send` and `serve`.
func mailFlags(fs *flag.FlagSet, o *opts) {
	fs.StringVar(&o.mailTo, "to", os.Getenv("PVCZAR_MAIL_TO"), "the list's address (default $PVCZAR_MAIL_TO)")
	fs.StringVar(&o.mailFrom, "from", os.Getenv("PVCZAR_MAIL_FROM"), "pvczar's own address (default $PVCZAR_MAIL_FROM)")
	fs.StringVar(&o.mailDomain, "domain", "", "the domain of pvczar's Message-IDs (default: the --from address's)")
	fs.StringVar(&o.smtpAddr, "smtp", os.Getenv("PVCZAR_SMTP"), "SMTP server host:port (default $PVCZAR_SMTP)")
	fs.StringVar(&o.smtpUser, "smtp-user", os.Getenv("PVCZAR_SMTP_USER"), "SMTP user; the password is read from $PVCZAR_SMTP_PASSWORD")
	fs.BoolVar(&o.requireTLS, "require-tls", false, "refuse to send unless the server offers STARTTLS (it is used whenever offered)")
	fs.StringVar(&o.outboxMbox, "outbox-mbox", "", "append the mail to this mbox file instead of sending it")
	fs.StringVar(&o.baseURL, "base-url", os.Getenv("PVCZAR_BASE_URL"), "the dashboard's address, e.g. https://pvczar.example.org: each mail links its pages (default $PVCZAR_BASE_URL)")
}

func runMailSend(ctx context.Context, c *cli, _ []string) error {
	o := c.opts
	if err := checkMailOptions(o); err != nil {
		return err
	}
	store, err := c.openStore(ctx, false)
	if err != nil {
		return err
	}
	now, err := c.now()
	if err != nil {
		return err
	}
	since := now.Add(-pvczar.Day)
	if o.since != "" {
		if since, err = pvczar.ParseTime(o.since); err != nil {
			return pvczar.Errorf(pvczar.EINVALID, "--since: %s", pvczar.ErrorMessage(err))
		}
	}
	r, err := sendMail(ctx, c, store, since, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "queued %d announcements; sent %d; %d failed and stay in the outbox\n", r.queued, r.sent, r.failed)
	if r.failed > 0 {
		return fmt.Errorf("%d messages could not be sent; run again later to retry", r.failed)
	}
	return nil
}

// checkMailOptions checks the flags that say where mail goes.
func checkMailOptions(o opts) error {
	if o.mailTo == "" || o.mailFrom == "" {
		return pvczar.Errorf(pvczar.EINVALID, "--to (the list) and --from (pvczar's address) are required")
	}
	if (o.smtpAddr == "") == (o.outboxMbox == "") {
		return pvczar.Errorf(pvczar.EINVALID, "give one of --smtp HOST:PORT and --outbox-mbox FILE")
	}
	if o.mailDomain == "" && mailDomainOf(o.mailFrom) == "" {
		return pvczar.Errorf(pvczar.EINVALID, "--from %q has no domain for Message-IDs: give --domain", o.mailFrom)
	}
	return nil
}

// sendResult counts what one sending round did.
type sendResult struct{ queued, sent, failed int }

// sendMail queues the announcements that became due since the last round
// (or since, on the first), then sends what the outbox holds that is due.
func sendMail(ctx context.Context, c *cli, store *sqlstore.Store, since, now time.Time) (sendResult, error) {
	o := c.opts
	var r sendResult
	domain := c.announcementDomain()
	reg, err := store.Registry(ctx, now)
	if err != nil {
		return r, err
	}
	cursor := "announce:" + domain
	last, err := store.MailCursor(ctx, cursor)
	if err != nil {
		return r, err
	}
	if t, err := time.Parse(time.RFC3339, last); err == nil {
		since = t
	}
	for _, a := range reg.Announcements(since, now, domain, o.baseURL) {
		added, err := store.Enqueue(ctx, a.Key, a.MessageID, o.mailTo, a.Format(o.mailFrom, o.mailTo, now), now)
		if err != nil {
			return r, err
		}
		if added {
			r.queued++
		}
	}
	if err := store.SetMailCursor(ctx, cursor, now.UTC().Format(time.RFC3339)); err != nil {
		return r, err
	}
	due, err := store.DueMail(ctx, now)
	if err != nil {
		return r, err
	}
	server := smtp.Server{Addr: o.smtpAddr, Username: o.smtpUser, Password: os.Getenv("PVCZAR_SMTP_PASSWORD"), RequireTLS: o.requireTLS}
	for _, m := range due {
		claimed, err := store.ClaimMail(ctx, m.ID, now, now.Add(10*time.Minute))
		if err != nil {
			return r, err
		}
		if !claimed {
			continue // another sender has it
		}
		if err := deliver(ctx, server, o.outboxMbox, o.mailFrom, m, now); err != nil {
			r.failed++
			next := now.Add(pvczar.RetryDelay(m.Attempts + 1))
			c.logger.Warn("mail not sent; it stays in the outbox", "message_id", m.MessageID, "attempt", m.Attempts+1, "next_attempt", next, "err", err)
			if err := store.MarkFailed(ctx, m.ID, err.Error(), next); err != nil {
				return r, err
			}
			continue
		}
		r.sent++
		if err := store.MarkSent(ctx, m.ID, now); err != nil {
			return r, err
		}
	}
	return r, nil
}

// deliver sends one message by SMTP, or appends it to an mbox file.
func deliver(ctx context.Context, server smtp.Server, mboxPath, from string, m pvczar.OutgoingMail, now time.Time) error {
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

// mailDomainOf returns the domain of an address ("" when it has none).
func mailDomainOf(addr string) string {
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

// announcementDomain is the domain of pvczar's Message-IDs: --domain, else
// the --from address's ("" when pvczar sends no mail).
func (c *cli) announcementDomain() string {
	if c.opts.mailDomain != "" {
		return c.opts.mailDomain
	}
	return mailDomainOf(c.opts.mailFrom)
}
