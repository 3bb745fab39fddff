-- Foundation: people, the durable inbox, conversation messages, cases, audit log, outbox.
-- Portable SQL (SQLite and PostgreSQL) except the id columns, which the SQLite store reads as
-- INTEGER PRIMARY KEY (rowid); the PostgreSQL store will use its own copy of the schema.

CREATE TABLE people (
    id            INTEGER PRIMARY KEY,
    channel       TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    first_name    TEXT NOT NULL DEFAULT '',
    flow          TEXT NOT NULL DEFAULT 'menu',
    flow_data     TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    consent_at    TEXT,
    UNIQUE (channel, external_id)
);

-- Every channel event, stored before it is acted on; processed_at is set in the same
-- transaction as the flow's changes and replies.
CREATE TABLE inbox (
    channel       TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    payload       TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    processed_at  TEXT,
    PRIMARY KEY (channel, event_id)
);
CREATE INDEX inbox_unprocessed ON inbox (channel, received_at) WHERE processed_at IS NULL;

CREATE TABLE cases (
    id            INTEGER PRIMARY KEY,
    person_id     INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    status        TEXT NOT NULL DEFAULT 'waiting',
    priority      TEXT NOT NULL DEFAULT 'normal',
    priority_rank INTEGER NOT NULL DEFAULT 2,
    category      TEXT,
    topic         TEXT NOT NULL DEFAULT '',
    summary       TEXT NOT NULL DEFAULT '',
    signals       TEXT NOT NULL DEFAULT '[]',
    created_at    TEXT NOT NULL,
    claimed_by    INTEGER,
    claimed_at    TEXT,
    first_reply_at TEXT,
    closed_at     TEXT,
    outcome       TEXT
);
CREATE INDEX cases_queue ON cases (status, priority_rank, created_at);

CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    person_id     INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    case_id       INTEGER REFERENCES cases (id) ON DELETE SET NULL,
    direction     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    text          TEXT NOT NULL DEFAULT '',
    meta          TEXT NOT NULL DEFAULT '{}',
    event_id      TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
);
CREATE INDEX messages_person ON messages (person_id, id);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    case_id       INTEGER,
    detail        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    person_id       INTEGER REFERENCES people (id) ON DELETE CASCADE,
    case_id         INTEGER REFERENCES cases (id) ON DELETE SET NULL,
    priority_rank   INTEGER NOT NULL DEFAULT 2,
    payload         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         TEXT,
    sent_ref        TEXT NOT NULL DEFAULT '',
    failed_at       TEXT
);
CREATE INDEX outbox_due ON outbox (channel, next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
