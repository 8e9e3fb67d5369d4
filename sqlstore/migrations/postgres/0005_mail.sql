-- The mail pvczar has read: one row per Message-ID (so an archive read twice
-- adds nothing), and the messages it could not parse, kept raw.
CREATE TABLE mails (message_id TEXT PRIMARY KEY, derived TEXT NOT NULL, source TEXT NOT NULL, at TEXT NOT NULL, from_email TEXT NOT NULL, from_name TEXT NOT NULL, subject TEXT NOT NULL, in_reply_to TEXT NOT NULL, refs TEXT NOT NULL, proposal TEXT NOT NULL, notes TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX mails_proposal ON mails (proposal);
CREATE TABLE mail_unparsed (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, source TEXT NOT NULL, line INTEGER NOT NULL, error TEXT NOT NULL, raw BYTEA NOT NULL);
-- Where reading a public-inbox epoch stopped (its last commit read).
CREATE TABLE mail_cursors (source TEXT PRIMARY KEY, position TEXT NOT NULL);
-- The mail pvczar sends, kept until it is sent: each announcement once (by
-- its key), retried with backoff while the server is down.
CREATE TABLE outbox (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, key TEXT NOT NULL UNIQUE, message_id TEXT NOT NULL, recipient TEXT NOT NULL, raw BYTEA NOT NULL, created TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt TEXT NOT NULL, sent TEXT NOT NULL DEFAULT '', last_error TEXT NOT NULL DEFAULT '');
