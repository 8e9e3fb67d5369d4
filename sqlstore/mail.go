package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/xen-pvczar/pvczar"
)

var _ pvczar.MailArchive = (*Store)(nil)

// KnownMails implements pvczar.MailArchive.
func (s *Store) KnownMails(ctx context.Context, messageIDs []string) (map[string]bool, error) {
	known := map[string]bool{}
	for len(messageIDs) > 0 {
		chunk := messageIDs[:min(len(messageIDs), 500)]
		messageIDs = messageIDs[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.read.QueryContext(ctx, s.q(`SELECT message_id FROM mails WHERE message_id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")+`)`), args...)
		if err != nil {
			return nil, s.describe(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			known[id] = true
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return known, nil
}

// AddMails implements pvczar.MailArchive.
func (s *Store) AddMails(ctx context.Context, mails []pvczar.ArchivedMail) (int, error) {
	added := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		added = 0
		ins, err := tx.PrepareContext(ctx, s.q(`INSERT INTO mails (message_id, derived, source, at, from_email, from_name, subject, in_reply_to, refs, proposal, notes, body)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING`))
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, m := range mails {
			res, err := ins.ExecContext(ctx, m.MessageID, flag(m.DerivedID), m.Source, formatTime(m.Date), m.From.Email, m.From.Name, m.Subject,
				m.InReplyTo, strings.Join(m.References, " "), m.Proposal, strings.Join(m.Notes, "\n"), m.Body)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added += int(n)
		}
		return nil
	})
	return added, err
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
