"""The running hotline: the core, every configured channel, their deliverers and the one web
server, started and stopped in the order that loses nothing (bot/app.py builds it).

Start: the web server first (a port in use stops the start before anything else runs, and
Telegram finds the webhook listening when it is set), then each channel (it replays its
inbox, then receives), then listening for replies other instances queue, the sending turns
and the deliverers. Stop: the other way round (a turn is given back once its deliverers
stopped), and the parts that hold HTTP clients are closed last, once no deliverer can be
sending through them. While it runs, the jobs (bot/jobs.py) watch the cases and pick up
what an instance that died left in the inbox.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from bot import jobs
from bot.channels.base import Channel
from bot.core import Core
from bot.delivery import Deliverer
from bot.sending import SendingTurn
from bot.web import WebServer


@dataclass
class Hotline:
    core: Core
    channels: list[Channel]
    deliverers: list[Deliverer]
    web: WebServer | None
    # Closes what app.py opened for the channels (HTTP clients, PTB's Application).
    parts: AsyncExitStack = field(default_factory=AsyncExitStack)
    turns: list[SendingTurn] = field(default_factory=list)
    _started: list[Channel] = field(default_factory=list)
    _serving: bool = False
    _delivering: bool = False

    def channel(self, name: str) -> Channel:
        for channel in self.channels:
            if channel.name == name:
                return channel
        raise KeyError(f"no {name} channel runs here")

    async def start(self) -> None:
        if self.web is not None:
            await self.web.start()
            self._serving = True
        for channel in self.channels:
            await channel.start()
            self._started.append(channel)
        await self.core.store.listen(lambda _channel: self.core.wake())
        self._delivering = True
        for turn in self.turns:
            turn.start()
        for deliverer in self.deliverers:
            deliverer.start()

    async def stop(self) -> None:
        """Stop what was started (all of it after a failed start, too); the core stays
        open for whoever opened it."""
        if self._serving and self.web is not None:
            await self.web.stop()
            self._serving = False
        while self._started:
            await self._started.pop().stop()
        if self._delivering:
            for deliverer in self.deliverers:
                await deliverer.stop()
            for turn in self.turns:
                await turn.stop()
            self._delivering = False
        await self.parts.aclose()

    async def serve(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set: receive, deliver, and watch the cases."""
        running: list[asyncio.Task[None]] = []
        try:
            await self.start()
            running.append(asyncio.create_task(jobs.watch_cases(self.core, self.core.wake,
                                                                stop)))
            running.append(asyncio.create_task(jobs.pick_up_left_events(self.channels, stop)))
            await stop.wait()
        finally:
            stop.set()
            for task in running:
                await task
            await self.stop()
