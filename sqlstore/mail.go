package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/xen-pvczar/pvczar"
)

var _ pvczar.MailArchive = (*Store)(nil)

// KnownMail implements pvczar.MailArchive.
func (s *Store) KnownMail(ctx context.Context, messageID string) (bool, error) {
	var one int
	err := s.read.QueryRowContext(ctx, s.q(`SELECT 1 FROM mails WHERE message_id = ?`), messageID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, s.describe(err)
}

// AddMail implements pvczar.MailArchive.
func (s *Store) AddMail(ctx context.Context, m pvczar.Mail, source, proposal string, notes []string) (bool, error) {
	return s.insertIfNew(ctx, `INSERT INTO mails (message_id, derived, source, at, from_email, from_name, subject, in_reply_to, refs, proposal, notes, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING`,
		m.MessageID, flag(m.DerivedID), source, formatTime(m.Date), m.From.Email, m.From.Name, m.Subject, m.InReplyTo,
		strings.Join(m.References, " "), proposal, strings.Join(notes, "\n"), m.Body)
}

// AddUnparsed implements pvczar.MailArchive.
func (s *Store) AddUnparsed(ctx context.Context, source string, line int, raw []byte, reason string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO mail_unparsed (source, line, error, raw) VALUES (?, ?, ?, ?)`), source, line, reason, raw)
		return err
	})
}

// MailCursor implements pvczar.MailArchive.
func (s *Store) MailCursor(ctx context.Context, source string) (string, error) {
	var pos string
	err := s.read.QueryRowContext(ctx, s.q(`SELECT position FROM mail_cursors WHERE source = ?`), source).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return pos, s.describe(err)
}

// SetMailCursor implements pvczar.MailArchive.
func (s *Store) SetMailCursor(ctx context.Context, source, position string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO mail_cursors (source, position) VALUES (?, ?)
			ON CONFLICT (source) DO UPDATE SET position = excluded.position`), source, position)
		return err
	})
}
