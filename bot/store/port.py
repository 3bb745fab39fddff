"""The store as the edges use it: the domain's port (flows/store.py) and what only the
channel adapters need (channel credentials). Edges are typed against this, never against a
store implementation, so a second store (PostgreSQL next) serves them unchanged."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from bot.store.sql.tokens import ZaloTokens
from flows.store import Store


class ChannelTokens(Protocol):
    async def load(self, app_id: str) -> ZaloTokens | None: ...

    async def save(self, app_id: str, tokens: ZaloTokens) -> None: ...


class EdgeStore(Store, Protocol):
    @property
    def tokens(self) -> ChannelTokens: ...

    async def take_lease(self, name: str, holder: str, lease: timedelta) -> bool:
        """Take or renew the named lease for `holder`; False while another holds it (for
        leases kept as long as something runs: `bot/lease.py`)."""
        ...

    async def drop_lease(self, name: str, holder: str) -> None: ...

    async def applied_migrations(self) -> list[tuple[int, str, str]]:
        """(number, name, applied at) of every migration applied to this database."""
        ...
