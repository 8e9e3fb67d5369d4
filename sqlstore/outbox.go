package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/xen-pvczar/pvczar/mail"
)

var _ mail.Outbox = (*Store)(nil)

// Enqueue implements mail.Outbox.
func (s *Store) Enqueue(ctx context.Context, key, messageID, to string, raw []byte, now time.Time) (bool, error) {
	return s.insertIfNew(ctx, `INSERT INTO outbox (key, message_id, recipient, raw, created, next_attempt)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`, key, messageID, to, raw, formatTime(now), formatTime(now))
}

// insertIfNew runs an INSERT ... ON CONFLICT DO NOTHING and reports whether
// it inserted the row.
func (s *Store) insertIfNew(ctx context.Context, query string, args ...any) (bool, error) {
	added := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(query), args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		added = n == 1
		return err
	})
	return added, err
}

// DueMail implements mail.Outbox.
func (s *Store) DueMail(ctx context.Context, now time.Time) ([]mail.Outgoing, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT id, key, message_id, recipient, raw, attempts, last_error FROM outbox
		WHERE sent = '' AND next_attempt <= ? ORDER BY id`), formatTime(now))
	if err != nil {
		return nil, s.describe(err)
	}
	defer rows.Close()
	var out []mail.Outgoing
	for rows.Next() {
		var m mail.Outgoing
		if err := rows.Scan(&m.ID, &m.Key, &m.MessageID, &m.To, &m.Raw, &m.Attempts, &m.LastError); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ClaimMail implements mail.Outbox: moving the next attempt to the end
// of the lease takes the message, for the one sender whose update matched.
func (s *Store) ClaimMail(ctx context.Context, id int64, now, lease time.Time) (bool, error) {
	claimed := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE outbox SET next_attempt = ? WHERE id = ? AND sent = '' AND next_attempt <= ?`),
			formatTime(lease), id, formatTime(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	return claimed, err
}

// MarkSent implements mail.Outbox.
func (s *Store) MarkSent(ctx context.Context, id int64, now time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`UPDATE outbox SET sent = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`), formatTime(now), id)
		return err
	})
}

// MarkFailed implements mail.Outbox.
func (s *Store) MarkFailed(ctx context.Context, id int64, reason string, next time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt = ? WHERE id = ?`), reason, formatTime(next), id)
		return err
	})
}
