"""Polling (one instance): PTB's bot, keeping each polled batch in the inbox first.

PTB's updater confirms a fetched batch to Telegram with the offset of the next getUpdates,
before the updates are handled. So the batch is written to the inbox inside `get_updates`,
before the updater can ask for the next one. One write per batch instead of one per update
keeps a burst from queueing at the store.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import ExtBot

from bot.channels.telegram.updates import inbound_event, update_to_incoming
from bot.receiving import Receiving


class InboxBot(ExtBot[None]):
    def __init__(self, receiving: Receiving, **kwargs: Any) -> None:
        self._receiving = receiving  # set before PTB freezes the object's attributes
        super().__init__(**kwargs)

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        updates = await super().get_updates(*args, **kwargs)
        if updates:
            now = self._receiving.clock()
            await self._receiving.keep([inbound_event(u, now) for u in updates],
                                       (update_to_incoming(u, now) for u in updates))
        return updates
