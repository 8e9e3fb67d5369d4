-- Credentials: API tokens, passwords and web sessions. Secrets are stored
-- only as SHA-256 hashes (tokens, sessions) or slow-KDF hashes (passwords).
-- They are not events: they prove identity, they are not lifecycle history.
CREATE TABLE tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, username TEXT NOT NULL, name TEXT NOT NULL, created TEXT NOT NULL, expires TEXT NOT NULL DEFAULT '', revoked TEXT NOT NULL DEFAULT '', last_used TEXT NOT NULL DEFAULT '');
CREATE TABLE passwords (username TEXT PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE sessions (hash TEXT PRIMARY KEY, username TEXT NOT NULL, csrf TEXT NOT NULL, expires TEXT NOT NULL);
