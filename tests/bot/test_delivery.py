"""The outbox worker keeps going when the store fails under it: a reply queued once the
store is back is still delivered."""

from __future__ import annotations

import asyncio
import io

from bot.app import Core, deliverer
from bot.channels.console import ConsoleSender
from flows.messages import Outgoing


async def test_a_worker_whose_store_failed_delivers_once_the_store_is_back(core: Core) -> None:
    out = io.StringIO()
    worker = deliverer(core, "console", ConsoleSender(out), reported=False)
    worker.start()
    try:
        await asyncio.sleep(0.05)  # idle, waiting for work
        await core.store.close()  # the database goes away under the waiting worker
        worker.wake()
        await asyncio.sleep(0.2)
        await core.store.open()
        async with core.store.transaction() as tx:
            await tx.outbox.enqueue("console", "me", Outgoing("vẫn gửi được"), core.clock())
        worker.wake()
        for _ in range(100):
            if "vẫn gửi được" in out.getvalue():
                break
            await asyncio.sleep(0.05)
    finally:
        await worker.stop()
    assert "bot> vẫn gửi được" in out.getvalue()
