-- The supervisors' web console. A sign-in link (sent by the bot to a staff member who asks
-- with /dangnhap) is kept as the SHA-256 of its token only, valid for minutes and once. A
-- session is kept as the SHA-256 of its cookie, with its CSRF token, so that it can be
-- revoked, and it ends when its staff member leaves the configuration.
CREATE TABLE web_sign_ins (
    token_hash  TEXT PRIMARY KEY,
    staff_id    INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    staff_id    INTEGER NOT NULL,
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX web_sessions_staff ON web_sessions (staff_id);
