-- The event log: append-only, the source of truth.
CREATE TABLE events (
    seq         BIGSERIAL PRIMARY KEY,
    stream      TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    dedupe_key  TEXT    UNIQUE,
    type        TEXT    NOT NULL,
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    proposal    TEXT    NOT NULL DEFAULT '',
    data        TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    UNIQUE (stream, version)
);
CREATE INDEX events_proposal ON events (proposal, seq);

-- The projection: rebuilt from the log by every write, checked by `audit verify`.
CREATE TABLE users (name TEXT PRIMARY KEY, display TEXT NOT NULL, email TEXT NOT NULL, role TEXT NOT NULL, since TEXT NOT NULL);
CREATE TABLE protocols (id TEXT PRIMARY KEY, title TEXT NOT NULL, stage TEXT NOT NULL, stage_since TEXT NOT NULL, version TEXT NOT NULL, open_proposal TEXT NOT NULL, stale TEXT NOT NULL, state TEXT NOT NULL);
CREATE TABLE implementations (protocol TEXT NOT NULL, id TEXT NOT NULL, side TEXT NOT NULL, codebase TEXT NOT NULL, upstream_commit TEXT NOT NULL, support TEXT NOT NULL, PRIMARY KEY (protocol, id));
CREATE TABLE proposals (protocol TEXT NOT NULL, id TEXT PRIMARY KEY, from_stage TEXT NOT NULL, to_stage TEXT NOT NULL, proposer TEXT NOT NULL, opened TEXT NOT NULL, deadline TEXT NOT NULL, status TEXT NOT NULL, ready TEXT NOT NULL, overdue TEXT NOT NULL, stalled TEXT NOT NULL);
CREATE TABLE objections (protocol TEXT NOT NULL, proposal TEXT NOT NULL, name TEXT NOT NULL, author TEXT NOT NULL, status TEXT NOT NULL, ball TEXT NOT NULL, ball_since TEXT NOT NULL, blocking TEXT NOT NULL, PRIMARY KEY (proposal, name));
CREATE TABLE positions (protocol TEXT NOT NULL, proposal TEXT NOT NULL, n TEXT NOT NULL, author TEXT NOT NULL, kind TEXT NOT NULL, role TEXT NOT NULL, at TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (proposal, n));
