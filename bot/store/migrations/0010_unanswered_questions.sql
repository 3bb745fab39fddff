-- Policy questions the bot could not answer, kept for the knowledge-base editors
-- (`hotline kb gaps`, the counts in /thongke): `no_answer` (it declined) or `which` (it had to
-- ask which article was meant), with the nearest article when the search had one. A copy of
-- the person's words: erased with their other data (/xoa) and purged with the conversation
-- (retention.conversation_days).
CREATE TABLE unanswered_questions (
    id               INTEGER PRIMARY KEY,
    person_id        INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    question         TEXT NOT NULL,
    nearest_article  TEXT,
    kind             TEXT NOT NULL CHECK (kind IN ('no_answer', 'which')),
    created_at       TEXT NOT NULL
);
CREATE INDEX unanswered_questions_created ON unanswered_questions (created_at);
CREATE INDEX unanswered_questions_person ON unanswered_questions (person_id);
CREATE INDEX answer_feedback_created ON answer_feedback (created_at);
