-- Zalo OA tokens. Zalo's refresh token is single-use: every refresh answers a new pair, which
-- is written here in one transaction before the new access token is used, so a crash during a
-- refresh never leaves the centre with only a spent refresh token. One row per Zalo app.

CREATE TABLE zalo_tokens (
    app_id         TEXT PRIMARY KEY,
    access_token   TEXT NOT NULL,
    refresh_token  TEXT NOT NULL,
    expires_at     TEXT,
    updated_at     TEXT NOT NULL
);
