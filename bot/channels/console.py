"""The local console: talk to the bot in a terminal, through the same receiving pipeline,
flows, store and outbox (built in bot/app.py).

Buttons are shown as numbered choices; typing the number presses the button.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TextIO

from starlette.routing import BaseRoute

from bot.delivery import Deliverer
from bot.receiving import Receiving
from flows.messages import Button, Incoming, IncomingKind, Location, Outgoing

CHANNEL = "console"


def parse_location(text: str) -> Location | None:
    """'@21.03,105.85' stands for sharing a location in the console."""
    if not text.startswith("@"):
        return None
    try:
        lat, lon = (float(p) for p in text[1:].split(","))
    except ValueError:
        return None
    return Location(lat, lon)


class ConsoleSender:
    """Prints replies; remembers the last buttons so a typed number can press one."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.buttons: list[Button] = []

    async def send(self, recipient: str, message: Outgoing) -> str:
        print(f"\nbot> {message.text}", file=self.out)
        if message.buttons:
            self.buttons = message.button_list()
            for i, button in enumerate(self.buttons, start=1):
                print(f"  [{i}] {button.label}", file=self.out)
        if message.location_button:
            print(f"  [{message.location_button}: gõ  @vi_do,kinh_do]", file=self.out)
        self.out.flush()
        return uuid.uuid4().hex


class ConsoleChannel:
    """One person at this terminal; replies are delivered before the next line is read."""

    name = CHANNEL
    reply_window: timedelta | None = None

    def __init__(
        self,
        receiving: Receiving,
        sender: ConsoleSender,
        deliverer: Deliverer,
        *,
        user_id: str = "console",
        first_name: str = "",
    ) -> None:
        self.receiving = receiving
        self.sender = sender
        self.deliverer = deliverer
        self.user_id = user_id
        self.first_name = first_name

    def routes(self) -> Sequence[BaseRoute]:
        return ()

    async def start(self) -> None:
        """Deliver anything left in the outbox from an earlier session."""
        while await self.deliverer.deliver_due():
            pass

    async def stop(self) -> None:
        pass

    async def pick_up(self, older_than: timedelta) -> int:
        """Nothing to pick up: this terminal's lines are handled as they are typed, by the
        one process reading them."""
        del older_than
        return 0

    def to_incoming(self, line: str) -> Incoming:
        text = line.strip()
        incoming = Incoming(
            channel=CHANNEL,
            user_id=self.user_id,
            event_id=uuid.uuid4().hex,
            kind=IncomingKind.TEXT,
            received_at=self.receiving.clock(),
            text=text,
            first_name=self.first_name,
        )
        if text.isdigit() and 1 <= int(text) <= len(self.sender.buttons):
            button = self.sender.buttons[int(text) - 1]
            return replace(incoming, kind=IncomingKind.BUTTON, button=button.data, text="")
        location = parse_location(text)
        if location is not None:
            return replace(incoming, kind=IncomingKind.LOCATION, location=location, text="")
        return incoming

    async def say(self, line: str) -> None:
        await self.receiving.handle(self.to_incoming(line))
        while await self.deliverer.deliver_due():
            pass

    async def run(self, stdin: TextIO | None = None) -> None:
        stdin = stdin or sys.stdin
        interactive = stdin.isatty()
        if interactive:
            print("Hotline console. Type a message; a number presses a button; Ctrl+D quits.")
        await self.start()
        await self.say("/start")
        while True:
            if interactive:
                print("\nbạn> ", end="", flush=True)
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            if line.strip():
                await self.say(line)
        if interactive:
            print()
