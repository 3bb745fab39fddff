"""A named lease kept for as long as something runs on this instance (Telegram polling:
Telegram serves one getUpdates consumer per bot), renewed in the background.

The holder is this instance and process. A process of this instance that died holding the
lease (a crash, a SIGKILL) is replaced at once by the next one, so a restart is never refused;
a live process, here or on another machine, keeps it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.store.port import EdgeStore
from bot.store.sql.singletons import new_holder

log = logging.getLogger(__name__)

KEEP_FOR = timedelta(seconds=30)  # a holder that stopped renewing loses it after this


class StartRefused(RuntimeError):
    """The hotline must not start as configured; the message says why and what to do."""


class KeptLease:
    def __init__(self, store: EdgeStore, name: str, keep_for: timedelta = KEEP_FOR) -> None:
        self.store = store
        self.name = name
        self.keep_for = keep_for
        self.holder = new_holder(store.instance)
        self._renewing: asyncio.Task[None] | None = None

    async def take(self) -> str | None:
        """Take the lease and keep renewing it; None, or who holds it when someone else
        does."""
        # The store hands over a lease our own previous life (a dead process here) left.
        if not await self.store.take_lease(self.name, self.holder, self.keep_for):
            return await self.store.singleton_holder(self.name) or "another instance"
        self._renewing = asyncio.create_task(self._renew(), name=f"lease-{self.name}")
        return None

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.keep_for.total_seconds() / 3)
            try:
                kept = await self.store.take_lease(self.name, self.holder, self.keep_for)
            except Exception:  # the store is failing: try again next time
                log.exception("lease renewal failed", extra={"event": "lease_renewal_failed",
                                                            "lease": self.name})
                continue
            if not kept:
                log.error("lease lost to another instance",
                          extra={"event": "lease_lost", "lease": self.name})

    async def release(self) -> None:
        if self._renewing is not None:
            self._renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewing
            self._renewing = None
            await self.store.drop_lease(self.name, self.holder)
