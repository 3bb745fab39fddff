"""One sending instance per account, across every instance on one database.

Telegram allows a bot about 30 messages a second, counted over all it sends: the replies to
people and the staff group's posts. Three instances each keeping that limit would send 90,
and Telegram would answer with 429s and long waits, the emergency numbers among them. So the
right to send through an account is a turn (`EdgeStore.exclusive`) held by one instance: its
deliverers for that account's channels send, the others' wait. When the holder dies the
store frees the turn within seconds; the instance that takes it next first takes back the
replies the dead one had leased, so none waits for a lease to run out.

Instances queue replies whoever sends them; the sending one hears of them through the store
(`EdgeStore.listen`), or at the deliverers' polling, every second or two.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from bot.store.port import EdgeStore

log = logging.getLogger(__name__)

RETRY = 1.0  # seconds before taking the turn is tried again after the store failed


class SendingTurn:
    def __init__(self, store: EdgeStore, account: str, channels: Sequence[str]) -> None:
        self.store = store
        self.name = f"sending:{account}"
        self.channels = tuple(channels)
        self.held = asyncio.Event()  # set while this instance's deliverers may send
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._keep(), name=self.name)

    async def stop(self) -> None:
        """Give the turn back (after the deliverers stopped: none is sending any more)."""
        self.held.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _keep(self) -> None:
        while True:
            try:
                async with self.store.exclusive(self.name) as hold:
                    await self._take_back()
                    self.held.set()
                    log.info("sending turn taken", extra={"event": "sending_turn_taken",
                                                          "turn": self.name})
                    await hold.lost.wait()
                    self.held.clear()
                    log.warning("sending turn lost", extra={"event": "sending_turn_lost",
                                                            "turn": self.name})
            except asyncio.CancelledError:
                raise
            except Exception:  # the store is failing: nobody here sends until it answers
                self.held.clear()
                log.exception("sending turn unavailable",
                              extra={"event": "sending_turn_failed", "turn": self.name})
                await asyncio.sleep(RETRY)

    async def _take_back(self) -> None:
        for channel in self.channels:
            taken = await self.store.outbox.take_back(channel, worker_name(self.store, channel))
            if taken:
                log.info("replies taken back", extra={"event": "replies_taken_back",
                                                      "channel": channel, "replies": taken})


def worker_name(store: EdgeStore, channel: str) -> str:
    """A deliverer's name in the outbox's leases: its instance and channel, the same after a
    restart, so that a restarted worker takes its own unfinished replies back at once."""
    return f"{store.instance}/{channel}"
