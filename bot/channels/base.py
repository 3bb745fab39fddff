"""The channel contract: what bot/app.py builds for each channel and `hotline run` drives.

A channel only translates. It feeds what it receives to its `bot.receiving.Receiving`
(polling, or through the routes it adds to the one web app) and sends, through its `sender`,
what the deliverer hands it. A new channel is a subpackage of bot/channels and a line in
bot/app.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from starlette.routing import BaseRoute

from bot.delivery import Sender


class Channel(Protocol):
    @property
    def name(self) -> str:
        """Its name in the inbox and the outbox ("telegram", "zalo", "console")."""
        ...

    @property
    def sender(self) -> Sender:
        """Sends a person's replies (the deliverer of `name` uses it)."""
        ...

    @property
    def reply_window(self) -> timedelta | None:
        """How long after a person's last message the channel lets us write to them; None:
        as long as they have not blocked us."""
        ...

    def routes(self) -> Sequence[BaseRoute]:
        """Its webhook routes in the one web app; none for a polling channel."""
        ...

    async def start(self) -> None:
        """Replay what was kept but not handled, then start receiving."""
        ...

    async def stop(self) -> None:
        """Stop receiving and let the events under way finish (briefly)."""
        ...

    async def pick_up(self, older_than: timedelta) -> int:
        """Handle the kept events nobody handled for `older_than` (an instance that kept
        them died before handling them); how many."""
        ...
