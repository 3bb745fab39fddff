"""The store's lock: single statements go before waiting units of work, order is kept
within a priority, and a waiter cancelled while being handed the lock passes it on."""

from __future__ import annotations

import asyncio

from bot.store.priority_lock import QUICK, WORK, PriorityLock


async def test_quick_waiters_go_first_then_arrival_order() -> None:
    lock = PriorityLock()
    order: list[str] = []

    async def take(name: str, priority: int) -> None:
        async with lock.hold(priority):
            order.append(name)

    async with lock.hold(WORK):
        tasks = [asyncio.create_task(take(n, p)) for n, p in
                 (("work1", WORK), ("quick1", QUICK), ("work2", WORK), ("quick2", QUICK))]
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert order == ["quick1", "quick2", "work1", "work2"]


async def test_a_cancelled_waiter_does_not_keep_the_lock() -> None:
    lock = PriorityLock()
    entered = asyncio.Event()

    async def waiter() -> None:
        async with lock.hold(WORK):
            entered.set()

    async with lock.hold(WORK):
        doomed = asyncio.create_task(waiter())
        await asyncio.sleep(0)
    doomed.cancel()  # cancelled after it was handed the lock, before it ran
    await asyncio.gather(doomed, return_exceptions=True)
    async with asyncio.timeout(1):
        async with lock.hold(WORK):  # would hang if the lock had been lost
            pass
