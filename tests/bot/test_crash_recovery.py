"""SIGKILL in the middle of a burst: every message is answered after a restart, and at most
one reply is repeated. `hotline run` is a real subprocess polling the Bot API stand-in."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 300
FIRST_USER = 20_000


async def start_bot(api: BotApiStandIn, db: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(
        {
            "HOTLINE_TELEGRAM_TOKEN": "123:ABC",
            "HOTLINE_TELEGRAM_BASE_URL": api.base_url,
            "HOTLINE_TELEGRAM_BASE_FILE_URL": api.base_file_url,
            "HOTLINE_TELEGRAM_POLL_TIMEOUT": "1",
            "HOTLINE_TELEGRAM_RATE_LIMIT": "false",
            "HOTLINE_DATABASE_URL": f"sqlite:///{db}",
            "HOTLINE_LOGGING_LEVEL": "warning",
        }
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "--config", str(ROOT / "config.yaml"), "run",
        env=env, cwd=str(ROOT),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


def replies_per_person(api: BotApiStandIn) -> Counter[int]:
    return Counter(
        int(c.chat_id) for c in api.calls_of("sendMessage")
        if c.ok and FIRST_USER <= int(c.chat_id) < FIRST_USER + PEOPLE
    )


async def wait_until(api: BotApiStandIn, condition: Callable[[], bool], seconds: float) -> None:
    """Re-check `condition` at every call the stand-in records."""
    if not condition():
        await api.wait_for(lambda _call: condition(), timeout=seconds, since=api.mark())


async def test_sigkill_mid_burst_loses_nothing_and_repeats_at_most_one_reply(
    tmp_path: Path,
) -> None:
    db = tmp_path / "hotline.db"
    async with BotApiStandIn() as api:
        first = await start_bot(api, db)
        await api.wait_for(lambda c: c.method == "getUpdates", timeout=30)
        for i in range(PEOPLE):
            api.push_update(updates.command(FIRST_USER + i, "/start"))

        # Kill it hard once it has answered some, well before it has answered all.
        await wait_until(api, lambda: sum(replies_per_person(api).values()) >= 60, seconds=60)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        answered_before = sum(replies_per_person(api).values())
        assert answered_before < PEOPLE, "the burst finished before the kill; test is void"

        second = await start_bot(api, db)
        try:
            await wait_until(api, lambda: len(replies_per_person(api)) == PEOPLE, seconds=90)
            await asyncio.sleep(1.0)  # give any duplicate time to show up
        finally:
            second.send_signal(signal.SIGTERM)
            _, stderr = await second.communicate()
        assert second.returncode == 0, stderr.decode()

    per_person = replies_per_person(api)
    assert set(per_person) == {FIRST_USER + i for i in range(PEOPLE)}  # nobody lost
    repeated = sum(n - 1 for n in per_person.values())
    assert repeated <= 1, f"{repeated} replies repeated"
