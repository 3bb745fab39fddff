-- "Was this answer helpful?" votes, kept with the question for the knowledge-base editors.
CREATE TABLE answer_feedback (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER REFERENCES people (id) ON DELETE SET NULL,
    article_id  TEXT NOT NULL,
    helpful     INTEGER NOT NULL,
    question    TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);
CREATE INDEX answer_feedback_article ON answer_feedback (article_id);
