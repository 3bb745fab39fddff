"""Throughput and reply latency of the hotline bot against a bare python-telegram-bot echo bot.

Both run in this process against the same local Bot API stand-in, driven by the same N
simulated people (each sends, waits for the reply, sends again). The hotline bot runs its real
path: durable inbox, dispatcher, SQLite unit of work, outbox, delivery worker.

    .venv/bin/python benchmarks/bot_bench.py [people] [messages_per_person]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.driver import Figures, drive, standin_config
from benchmarks.echo_floor import measure_echo_floor
from bot.app import assemble, open_core
from bot.logs import setup_logging
from tests.standin.bot_api import BotApiStandIn

MESSAGES = ["xin chào", "/help", "/start", "/huy"]


async def measure_hotline(standin: BotApiStandIn, people: int, per_person: int) -> Figures:
    with tempfile.TemporaryDirectory() as folder:
        config = standin_config(standin, f"{folder}/bench.db")
        core = await open_core(config)
        channel = assemble(core)
        await channel.start()
        try:
            return await drive(
                standin,
                people=people,
                messages_per_person=per_person,
                make_text=lambda person, n: MESSAGES[(person + n) % len(MESSAGES)],
                first_user_id=50_000,
            )
        finally:
            await channel.stop()
            await core.close()


async def main(people: int, per_person: int) -> None:
    setup_logging("WARNING")
    async with BotApiStandIn() as standin:
        echo = await measure_echo_floor(standin, people, per_person)
    async with BotApiStandIn() as standin:
        hotline = await measure_hotline(standin, people, per_person)
    print(f"{people} concurrent people x {per_person} messages each, local Bot API stand-in")
    print(echo.line("  PTB echo bot (floor)"))
    print(hotline.line("  hotline bot        "))
    print(f"  throughput ratio hotline/echo: {hotline.per_second / echo.per_second:.2f}"
          f"   (target >= 0.70; p99 target < 50 ms)")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    people, per_person = (args + [50, 20][len(args):])[:2]
    asyncio.run(main(people, per_person))
