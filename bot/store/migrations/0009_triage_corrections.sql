-- Counsellors' corrections of a case's level or category, kept for `hotline triage export`:
-- what triage gave the case (before any correction) and what the counsellor set, by whom and
-- when. The person's words are not copied here: the export reads them from `messages`, so an
-- erasure or the retention purge that removes the messages removes them from the export too.
CREATE TABLE triage_corrections (
    id               INTEGER PRIMARY KEY,
    case_id          INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    triage_priority  TEXT NOT NULL,
    triage_category  TEXT,
    triage_layer     TEXT NOT NULL DEFAULT '',
    priority         TEXT NOT NULL,
    category         TEXT,
    actor            TEXT NOT NULL,
    at               TEXT NOT NULL
);
CREATE INDEX triage_corrections_case ON triage_corrections (case_id, id);
