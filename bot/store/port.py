"""The store as the edges use it: the domain's port (flows/store.py) and what only the
channel adapters and workers need (channel credentials, leases kept while something runs,
waking across instances). Edges are typed against this, never against a store
implementation, so both stores serve them unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from bot.store.sql.tokens import ZaloTokens
from flows.case_search import CaseSearch
from flows.store import Store


class ChannelTokens(Protocol):
    async def load(self, app_id: str) -> ZaloTokens | None: ...

    async def save(self, app_id: str, tokens: ZaloTokens) -> None: ...

    async def setting(self, name: str) -> str | None:
        """What a channel set up at its service, as it last remembered it."""
        ...

    async def remember_setting(self, name: str, value: str) -> None: ...


@dataclass
class Hold:
    """A right held by one worker across every instance (`EdgeStore.exclusive`), until the
    holder leaves or `lost` is set: the store could no longer confirm it is still this
    worker's (then another instance may hold it, and this one must stop acting on it)."""

    holder: str
    lost: asyncio.Event = field(default_factory=asyncio.Event)


# Told the channel of a reply another instance queued (`EdgeStore.listen`).
Wake = Callable[[str], None]


class EdgeStore(Store, Protocol):
    @property
    def tokens(self) -> ChannelTokens: ...

    @property
    def case_search(self) -> CaseSearch:
        """Finding cases for the web console."""
        ...

    async def take_lease(self, name: str, holder: str, lease: timedelta) -> bool:
        """Take or renew the named lease for `holder`, or take it from a dead process of this
        instance; False while another holds it (for leases kept as long as something runs:
        `bot/lease.py`)."""
        ...

    async def drop_lease(self, name: str, holder: str) -> None: ...

    def exclusive(self, name: str) -> AbstractAsyncContextManager[Hold]:
        """Wait until this worker alone holds `name`, across every instance, and keep it
        until the block ends: for a job that runs as long as the hotline does (one sender
        per Telegram bot). A holder that dies loses it within seconds."""
        ...

    async def listen(self, wake: Wake) -> None:
        """From now until the store closes, tell `wake` the channel of every reply another
        instance queues (a store that serves one instance has nothing to tell)."""
        ...

    async def applied_migrations(self) -> list[tuple[int, str, str]]:
        """(number, name, applied at) of every migration applied to this database."""
        ...
