"""Channel credentials kept in the database: Zalo's token pair, whose single-use refresh
token must survive a crash (written in one statement, before the new access token is used);
and what a channel set up at its service for every instance (Telegram's webhook)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.sql.rows import SqlFamily, parse_ts, ts


@dataclass(frozen=True)
class ZaloTokens:
    access_token: str
    refresh_token: str
    expires_at: datetime | None = None  # None: unknown (a token pasted into the config)

    def __repr__(self) -> str:  # never print a token by accident
        return f"ZaloTokens(expires_at={self.expires_at!r})"


class TokensSql(SqlFamily):
    async def load(self, app_id: str) -> ZaloTokens | None:
        rows = await self.ex.fetch(
            "SELECT access_token, refresh_token, expires_at FROM zalo_tokens WHERE app_id = ?",
            (app_id,),
        )
        if not rows:
            return None
        row = rows[0]
        return ZaloTokens(row[0], row[1], parse_ts(row[2]))

    async def save(self, app_id: str, tokens: ZaloTokens) -> None:
        """Replace the pair: one statement, durable when it returns."""
        await self.ex.execute(
            "INSERT INTO zalo_tokens (app_id, access_token, refresh_token, expires_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_id) DO UPDATE SET"
            " access_token = excluded.access_token, refresh_token = excluded.refresh_token,"
            " expires_at = excluded.expires_at, updated_at = excluded.updated_at",
            (app_id, tokens.access_token, tokens.refresh_token,
             ts(tokens.expires_at) if tokens.expires_at else None, ts(self.clock())),
        )

    async def setting(self, name: str) -> str | None:
        rows = await self.ex.fetch("SELECT value FROM channel_settings WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else None

    async def remember_setting(self, name: str, value: str) -> None:
        await self.ex.execute(
            "INSERT INTO channel_settings (name, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            (name, value, ts(self.clock())),
        )
