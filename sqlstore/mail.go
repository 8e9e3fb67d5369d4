package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar/mail"
)

var _ mail.Archive = (*Store)(nil)

// KnownMails implements mail.Archive.
func (s *Store) KnownMails(ctx context.Context, messageIDs []string) (map[string]bool, error) {
	known := map[string]bool{}
	err := s.queryIn(ctx, `SELECT message_id FROM mails WHERE message_id IN (`, messageIDs, func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		known[id] = true
		return err
	})
	return known, err
}

// queryIn runs query, which ends in "IN (", for keys, 500 at a time, and
// calls row with each row.
func (s *Store) queryIn(ctx context.Context, query string, keys []string, row func(*sql.Rows) error) error {
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), 500)]
		keys = keys[len(chunk):]
		args := make([]any, len(chunk))
		for i, k := range chunk {
			args[i] = k
		}
		rows, err := s.read.QueryContext(ctx, s.q(query+strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")+`)`), args...)
		if err != nil {
			return s.describe(err)
		}
		for rows.Next() {
			if err := row(rows); err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return nil
}

// AddMails implements mail.Archive.
func (s *Store) AddMails(ctx context.Context, batch mail.Batch) (mail.Added, error) {
	var added mail.Added
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		added = mail.Added{}
		n, err := s.insertMails(ctx, tx, batch.Mails)
		if err != nil {
			return err
		}
		added.Mails = n
		for _, u := range batch.Unparsed {
			n, err := affected(tx.ExecContext(ctx, s.q(`INSERT INTO mail_unparsed (source, line, error, raw, digest) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (digest) DO NOTHING`), u.Source, u.Line, u.Reason, u.Raw, rawDigest(u.Raw)))
			if err != nil {
				return err
			}
			added.Unparsed += n
		}
		for source, position := range batch.Cursors {
			if err := s.setCursor(ctx, tx, source, position); err != nil {
				return err
			}
		}
		return nil
	})
	return added, err
}

// mailRows is how many mails one INSERT statement writes: one statement
// per row cost as much as SQLite's writing itself.
const mailRows = 32

const mailColumns = 12

// insertMails writes mails (those not kept before), mailRows to a
// statement, and returns how many it wrote.
func (s *Store) insertMails(ctx context.Context, tx *sql.Tx, mails []mail.Archived) (int, error) {
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	added := 0
	args := make([]any, 0, mailRows*mailColumns)
	for len(mails) > 0 {
		chunk := mails[:min(len(mails), mailRows)]
		mails = mails[len(chunk):]
		st := stmts[len(chunk)]
		if st == nil {
			var err error
			if st, err = tx.PrepareContext(ctx, s.q(`INSERT INTO mails (message_id, derived, source, at, from_email, from_name, subject, in_reply_to, refs, proposal, notes, body)
			VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", len(chunk)), ", ")+` ON CONFLICT (message_id) DO NOTHING`)); err != nil {
				return 0, err
			}
			stmts[len(chunk)] = st
		}
		args = args[:0]
		for _, m := range chunk {
			args = append(args, m.MessageID, flag(m.DerivedID), m.Source, formatTime(m.Date), m.From.Email, m.From.Name, m.Subject,
				m.InReplyTo, strings.Join(m.References, " "), m.Proposal, strings.Join(m.Notes, "\n"), m.Body)
		}
		n, err := affected(st.ExecContext(ctx, args...))
		if err != nil {
			return 0, err
		}
		added += n
	}
	return added, nil
}

// KeptMail returns the mail kept with a Message-ID, if any.
func (s *Store) KeptMail(ctx context.Context, messageID string) (mail.Mail, bool, error) {
	var m mail.Mail
	var at, refs string
	err := s.read.QueryRowContext(ctx, s.q(`SELECT message_id, at, from_email, from_name, subject, in_reply_to, refs, body FROM mails WHERE message_id = ?`), messageID).
		Scan(&m.MessageID, &at, &m.From.Email, &m.From.Name, &m.Subject, &m.InReplyTo, &refs, &m.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, err
	}
	if m.Date, err = time.Parse(time.RFC3339, at); err != nil {
		return m, false, fmt.Errorf("mail %s: its date %q: %w", messageID, at, err)
	}
	m.References = strings.Fields(refs)
	return m, true, nil
}

func affected(res sql.Result, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// rawDigest is what keeps one unparsed content once.
func rawDigest(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// digestUnparsed gives the unparsed mail kept before digests were kept its
// digest (the migration left one row per content).
func (s *Store) digestUnparsed(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, raw FROM mail_unparsed WHERE digest IS NULL`)
	if err != nil {
		return err
	}
	digests := map[int64]string{}
	for rows.Next() {
		var id int64
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			rows.Close()
			return err
		}
		digests[id] = rawDigest(raw)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for id, d := range digests {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE mail_unparsed SET digest = ? WHERE id = ?`), d, id); err != nil {
			return err
		}
	}
	return nil
}

// RecordedKeys implements mail.Archive.
func (s *Store) RecordedKeys(ctx context.Context, keys []string) (map[string]int64, error) {
	found := map[string]int64{}
	err := s.queryIn(ctx, `SELECT dedupe_key, seq FROM events WHERE dedupe_key IN (`, keys, func(rows *sql.Rows) error {
		var key string
		var seq int64
		err := rows.Scan(&key, &seq)
		found[key] = seq
		return err
	})
	return found, err
}

// MailCursor implements mail.Archive.
func (s *Store) MailCursor(ctx context.Context, source string) (string, error) {
	var pos string
	err := s.read.QueryRowContext(ctx, s.q(`SELECT position FROM mail_cursors WHERE source = ?`), source).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return pos, s.describe(err)
}

// SetMailCursor implements mail.Archive.
func (s *Store) SetMailCursor(ctx context.Context, source, position string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.setCursor(ctx, tx, source, position) })
}

func (s *Store) setCursor(ctx context.Context, tx *sql.Tx, source, position string) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO mail_cursors (source, position) VALUES (?, ?)
		ON CONFLICT (source) DO UPDATE SET position = excluded.position`), source, position)
	return err
}
