-- Each command rewrites the projection rows of its protocol or proposal:
-- index the columns it selects them by.
CREATE INDEX implementations_protocol ON implementations (protocol);
CREATE INDEX proposals_protocol ON proposals (protocol);
CREATE INDEX objections_protocol ON objections (protocol);
CREATE INDEX positions_protocol ON positions (protocol);
