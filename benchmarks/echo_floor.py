"""The echo floor: what a bare python-telegram-bot echo bot achieves against the stand-in.

Any real hotline bot does more work per message, so this is the ceiling for its throughput
and the floor for its latency on this machine. Run::

    .venv/bin/python benchmarks/echo_floor.py [people] [messages_per_person]
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from benchmarks.driver import Figures, drive
from tests.standin.bot_api import BotApiStandIn

TOKEN = "123456:ECHO"


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


async def measure_echo_floor(
    standin: BotApiStandIn, people: int, messages_per_person: int
) -> Figures:
    """Start a default-settings PTB echo bot in polling mode, drive it, stop it cleanly."""
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(standin.base_url)
        .base_file_url(standin.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=10))
    await app.start()
    try:
        return await drive(
            standin,
            people=people,
            messages_per_person=messages_per_person,
            make_text=lambda person, n: f"tin nhắn {n} của người {person}",
        )
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def _main(people: int, messages_per_person: int) -> None:
    async with BotApiStandIn() as standin:
        figures = await measure_echo_floor(standin, people, messages_per_person)
    print(figures.line(f"PTB echo floor ({people} people x {messages_per_person} messages)"))


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    asyncio.run(_main(*(args + [50, 20][len(args) :])))
