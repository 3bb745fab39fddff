-- One person's messages in the order they were kept, whichever instance handles each: an
-- inbox event names its person, so that a later message can wait for an earlier one still
-- unhandled (flows/dispatch.py). And the indexes the case watch and the staff desk need on a
-- large database: a case's messages (last activity, the card) and a topic's case.
ALTER TABLE inbox ADD COLUMN person_key TEXT NOT NULL DEFAULT '';
CREATE INDEX inbox_person_unhandled ON inbox (channel, person_key) WHERE processed_at IS NULL;
CREATE INDEX messages_case ON messages (case_id);
CREATE INDEX cases_thread ON cases (thread_id);
