-- Each proposal keeps its full state in its own row; a protocol's state no
-- longer repeats its proposals, so a command rewrites one proposal's JSON.
-- pvczar: rebuild the projection
ALTER TABLE proposals ADD COLUMN state TEXT NOT NULL DEFAULT '';
