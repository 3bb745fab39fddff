-- What the emergency intake and the staff workspace keep on a case.
ALTER TABLE cases ADD COLUMN details TEXT NOT NULL DEFAULT '{}';
ALTER TABLE cases ADD COLUMN thread_id TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN escalated_at TEXT;
CREATE INDEX cases_person ON cases (person_id, status);
