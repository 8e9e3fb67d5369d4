-- A web session remembers the token it was started with (empty for a
-- password), so that revoking the token ends the session.
ALTER TABLE sessions ADD COLUMN token_id TEXT NOT NULL DEFAULT '';
