"""The store as the edges use it: the domain's port (flows/store.py) and what only the
channel adapters need (channel credentials). Edges are typed against this, never against a
store implementation, so a second store (PostgreSQL next) serves them unchanged."""

from __future__ import annotations

from typing import Protocol

from bot.store.sql.tokens import ZaloTokens
from flows.store import Store


class ChannelTokens(Protocol):
    async def load(self, app_id: str) -> ZaloTokens | None: ...

    async def save(self, app_id: str, tokens: ZaloTokens) -> None: ...


class EdgeStore(Store, Protocol):
    @property
    def tokens(self) -> ChannelTokens: ...
