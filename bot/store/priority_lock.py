"""A lock whose waiters are served by priority, then arrival.

The store has one SQLite connection. Units of work hold it for several statements; the
delivery worker's bookkeeping (mark a reply sent, fetch the next ones) takes one. With a FIFO
lock the single sender queues behind every waiting unit of work and replies stall; here it
waits for at most the one that holds the lock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

QUICK = 0  # one statement
URGENT = 1  # a unit of work for a message that signals danger
WORK = 2  # any other unit of work


class PriorityLock:
    def __init__(self) -> None:
        self._held = False
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @asynccontextmanager
    async def hold(self, priority: int = WORK) -> AsyncIterator[None]:
        await self._acquire(priority)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, priority: int) -> None:
        if not self._held and not self._waiters:
            self._held = True
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._order), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release()  # handed the lock while being cancelled: pass it on
            raise

    def _release(self) -> None:
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)  # ownership passes straight to the waiter
                return
        self._held = False
