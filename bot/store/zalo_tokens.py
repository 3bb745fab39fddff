"""Zalo OA tokens for one app: kept in the store (the single-use refresh token must survive
a crash), refreshed under a singleton lease so that several instances never spend the same
refresh token twice."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from bot.store.port import EdgeStore
from bot.store.sql.tokens import ZaloTokens

__all__ = ["REFRESH_LEASE", "ZaloTokenStore", "ZaloTokens"]

# Longer than a refresh takes (one HTTPS request with its timeout); an instance that died
# mid-refresh holds the others back this long at most.
REFRESH_LEASE = timedelta(seconds=30)


class ZaloTokenStore:
    def __init__(self, store: EdgeStore, app_id: str) -> None:
        self.store = store
        self.app_id = app_id

    async def load(self) -> ZaloTokens | None:
        return await self.store.tokens.load(self.app_id)

    def refreshing(self) -> AbstractAsyncContextManager[bool]:
        """Wait for the right to refresh: one refresh at a time, across instances."""
        return self.store.singleton(f"zalo_token_refresh:{self.app_id}", REFRESH_LEASE,
                                    wait=True)

    async def save(self, tokens: ZaloTokens) -> None:
        await self.store.tokens.save(self.app_id, tokens)
