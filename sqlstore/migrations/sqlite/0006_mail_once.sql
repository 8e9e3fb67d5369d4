-- Unparseable mail is kept once per content, by its digest (SHA-256 of the
-- raw bytes, hex): before, every ingest stored it again. The copies kept
-- before are merged (the first of each is kept) and the others are given
-- their digest after this script.
-- pvczar: digest the unparsed mail
DELETE FROM mail_unparsed WHERE id NOT IN (SELECT MIN(id) FROM mail_unparsed GROUP BY raw);
ALTER TABLE mail_unparsed ADD COLUMN digest TEXT;
CREATE UNIQUE INDEX mail_unparsed_digest ON mail_unparsed (digest);
