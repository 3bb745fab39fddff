-- The counsellors' tools in the staff group. Portable SQL except the id of case_tags, which
-- SQLite reads as INTEGER PRIMARY KEY (rowid); PostgreSQL has its own wording (.postgres.sql).
--
-- Canned replies (`/mau`): plain text that supervisors write once and counsellors send into a
-- case. `slug` is how a reply is found, the name folded (lower case, no diacritics, words
-- separated by one space: "Chào-hỏi" and "chao hoi" are one reply); `name` is as the
-- supervisor typed it. Not personal data: kept until a supervisor deletes it.
CREATE TABLE canned_replies (
    slug        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Tags on cases (`/tag`): short normalised labels ("tai-phat"), at most one of each per case,
-- with who added it and when; the id keeps the order they were added in. They go with their
-- case (erasure, retention purge).
CREATE TABLE case_tags (
    id        INTEGER PRIMARY KEY,
    case_id   INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    added_by  TEXT NOT NULL,
    added_at  TEXT NOT NULL,
    UNIQUE (case_id, tag)
);
CREATE INDEX case_tags_tag ON case_tags (tag);
