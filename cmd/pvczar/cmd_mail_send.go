package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/mail"
	"github.com/xen-pvczar/pvczar/mail/smtp"
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
	r, err := mail.Send(ctx, store, c.sendOptions(), since, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "queued %d announcements; sent %d; %d failed and stay in the outbox\n", r.Queued, r.Sent, r.Failed)
	if r.Failed > 0 {
		return fmt.Errorf("%d messages could not be sent; run again later to retry", r.Failed)
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
	if o.mailDomain == "" && mail.DomainOf(o.mailFrom) == "" {
		return pvczar.Errorf(pvczar.EINVALID, "--from %q has no domain for Message-IDs: give --domain", o.mailFrom)
	}
	return nil
}

// sendOptions says where mail goes, from the flags; the SMTP password is
// read from $PVCZAR_SMTP_PASSWORD.
func (c *cli) sendOptions() mail.SendOptions {
	o := c.opts
	return mail.SendOptions{To: o.mailTo, From: o.mailFrom, Domain: c.announcementDomain(), BaseURL: o.baseURL,
		SMTP:       smtp.Server{Addr: o.smtpAddr, Username: o.smtpUser, Password: os.Getenv("PVCZAR_SMTP_PASSWORD"), RequireTLS: o.requireTLS},
		OutboxMbox: o.outboxMbox, Logger: c.logger}
}

// announcementDomain is the domain of pvczar's Message-IDs: --domain, else
// the --from address's ("" when pvczar sends no mail).
func (c *cli) announcementDomain() string {
	if c.opts.mailDomain != "" {
		return c.opts.mailDomain
	}
	return mail.DomainOf(c.opts.mailFrom)
}
