-- What a channel set up at its service once, for all instances: Telegram's webhook (a digest
-- of its URL, secret and options; never the secret itself), so that instances starting after
-- the first one do not set it again.
CREATE TABLE channel_settings (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
