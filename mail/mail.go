package mail

import (
	"context"

	"github.com/xen-pvczar/pvczar/mail/message"
)

// Mail is a message as pvczar reads it from a list archive.
type Mail = message.Mail

// Address is a person as a mail names them.
type Address = message.Address

// Archived is a mail as kept: where it was read, the proposal it belongs to
// ("" for none), and notes on what in it did not count.
type Archived struct {
	Mail
	Source   string
	Proposal string
	Notes    []string
}

// Archive keeps the mail pvczar has read, so that reading an archive again
// adds nothing, and the messages it could not parse, for inspection.
type Archive interface {
	// KnownMails returns which of the Message-IDs have been read before.
	KnownMails(ctx context.Context, messageIDs []string) (map[string]bool, error)
	// AddMails keeps a batch in one transaction: its mails (a Message-ID
	// already kept is skipped), its unparsed messages (a content already
	// kept is skipped), and its cursors, so that a cursor never passes
	// mail that is not kept. It returns how many of each were new.
	AddMails(ctx context.Context, batch Batch) (Added, error)
	// RecordedKeys returns which of the events' deduplication keys are in
	// the log, with the sequence number of the event that holds each.
	RecordedKeys(ctx context.Context, keys []string) (map[string]int64, error)
	// KeptMail returns the mail kept with a Message-ID, if any.
	KeptMail(ctx context.Context, messageID string) (Mail, bool, error)
	Cursors
}

// Cursors keep where reading each source stopped.
type Cursors interface {
	// MailCursor returns where reading source stopped ("" if never read);
	// SetMailCursor records it.
	MailCursor(ctx context.Context, source string) (string, error)
	SetMailCursor(ctx context.Context, source, position string) error
}

// Batch is what one step of an ingest keeps, all or nothing.
type Batch struct {
	Mails    []Archived
	Unparsed []Unparsed
	Cursors  map[string]string // where reading each source stopped, after this batch
}

// Unparsed is a message kept raw: it could not be parsed, or it was beyond
// a limit (Reason says which).
type Unparsed struct {
	Source string
	Line   int // of its From_ line in an mbox, else 0
	Raw    []byte
	Reason string
}

// Added counts what AddMails kept that was not kept before.
type Added struct {
	Mails, Unparsed int
}
