"""Zalo OA tokens kept in the database: the single-use refresh token must survive a crash.

Uses the SqliteStore's one connection, under its transaction lock. A refresh runs under a
singleton lease, so that several instances never spend the same refresh token twice.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.sql import parse_ts, ts
from bot.store.sqlite import SqliteStore


@dataclass(frozen=True)
class ZaloTokens:
    access_token: str
    refresh_token: str
    expires_at: datetime | None = None  # None: unknown (a token pasted into the config)

    def __repr__(self) -> str:  # never print a token by accident
        return f"ZaloTokens(expires_at={self.expires_at!r})"


# Longer than a refresh takes (one HTTPS request with its timeout); an instance that died
# mid-refresh holds the others back this long at most.
REFRESH_LEASE = timedelta(seconds=30)


class ZaloTokenStore:
    def __init__(self, store: SqliteStore, app_id: str) -> None:
        self.store = store
        self.app_id = app_id

    async def load(self) -> ZaloTokens | None:
        rows = await self.store.ex.fetch(
            "SELECT access_token, refresh_token, expires_at FROM zalo_tokens WHERE app_id = ?",
            (self.app_id,),
        )
        if not rows:
            return None
        row = rows[0]
        return ZaloTokens(row[0], row[1], parse_ts(row[2]))

    def refreshing(self) -> AbstractAsyncContextManager[bool]:
        """Wait for the right to refresh: one refresh at a time, across instances."""
        return self.store.singleton(f"zalo_token_refresh:{self.app_id}", REFRESH_LEASE,
                                    wait=True)

    async def save(self, tokens: ZaloTokens) -> None:
        """Replace the pair in one committed transaction."""
        async with self.store.transaction() as tx:
            await tx.ex.execute(
                "INSERT INTO zalo_tokens (app_id, access_token, refresh_token, expires_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_id) DO UPDATE SET"
                " access_token = excluded.access_token, refresh_token = excluded.refresh_token,"
                " expires_at = excluded.expires_at, updated_at = excluded.updated_at",
                (
                    self.app_id,
                    tokens.access_token,
                    tokens.refresh_token,
                    ts(tokens.expires_at) if tokens.expires_at else None,
                    ts(self.store.clock()),
                ),
            )
