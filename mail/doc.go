// Package mail is pvczar's mail wing: it reads what list mail says for the
// lifecycle and writes what pvczar announces to the list.
//
// Reading: ReadText finds the trailers (Acked-by, ...) and the commands
// (Objection, Hold, ...) of a body; Read reads a whole mail once (its
// subject's tags too); ReadForProposal turns a mail below a proposal's
// announcement into lifecycle commands, and LinkThread the start of a
// patch or RFC thread into a protocol's evidence. Threads groups mails into
// conversations.
//
// Writing: Announcements computes the mail that falls due (the digest,
// openings, objections, reminders, decisions), and Announcement.Format
// writes one as an RFC 5322 message.
//
// The pipelines: Ingest reads archives (mbox, Maildir, public-inbox) into
// an Archive and acts on what they say; Send queues announcements in an
// Outbox and delivers them by SMTP or to an mbox file; Watch and
// AnnounceEvery run them in a server. Each takes an options struct and the
// small interface of the store it needs.
//
// The root package knows nothing of mail but the facts of its event log:
// the source of an event made from a mail (pvczar.SourceMailPrefix) and the
// mail.unapplied events the digest lists.
package mail
