"""Time from an emergency message's receipt to the first emergency reply sent and to the
staff alert, through the real Telegram adapter on the local Bot API stand-in, while other
people keep chatting (so the priority of emergency replies is part of what is measured).

    .venv/bin/python benchmarks/emergency_bench.py [emergencies] [background_people]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.driver import percentile, standin_config
from bot.app import assemble, open_core
from bot.logs import setup_logging
from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn, Call

MESSAGES = [
    "chong em dang danh em cuu voi",
    "tôi uống hết vỉ thuốc ngủ rồi",
    "hàng xóm đang đánh con ghê lắm",
    "co dua be bi bo o cong cho",
    "t cam dao roi",
]
STAFF_CHAT = updates.STAFF_CHAT_ID


async def background(api: BotApiStandIn, people: int, stop: asyncio.Event) -> int:
    """Ordinary chatter: each person asks, waits for the answer, asks again."""
    sent = 0

    async def person(user: int) -> None:
        nonlocal sent
        while not stop.is_set():
            since = api.mark()
            api.push_update(updates.text(user, "trợ cấp người cao tuổi bao nhiêu"))
            await api.wait_for(lambda c: c.ok and c.method == "sendMessage"
                               and c.chat_id == user, since=since, timeout=30)
            sent += 1

    await asyncio.gather(*(person(70_000 + i) for i in range(people)))
    return sent


async def main(emergencies: int, people: int) -> None:
    setup_logging("WARNING")
    async with BotApiStandIn() as api:
        with tempfile.TemporaryDirectory() as folder:
            config = standin_config(api, f"{folder}/bench.db", staff_chat_id=STAFF_CHAT)
            core = await open_core(config)
            channel = assemble(core)
            await channel.start()
            stop = asyncio.Event()
            chatter = asyncio.create_task(background(api, people, stop))
            await asyncio.sleep(0.5)
            replies: list[float] = []
            alerts: list[float] = []
            try:
                for i in range(emergencies):
                    user = 80_000 + i

                    def reply(c: Call, user: int = user) -> bool:
                        return c.ok and c.method == "sendMessage" and c.chat_id == user

                    def alert(c: Call, user: int = user) -> bool:
                        return (c.ok and c.method == "sendMessage" and c.chat_id == STAFF_CHAT
                                and "KHẨN CẤP" in str(c.params.get("text")))

                    since = api.mark()
                    pushed = time.perf_counter()
                    api.push_update(updates.text(user, MESSAGES[i % len(MESSAGES)]))
                    first = await api.wait_for(reply, since=since, timeout=30)
                    staff = await api.wait_for(alert, since=since, timeout=30)
                    replies.append((first.at - pushed) * 1000)
                    alerts.append((staff.at - pushed) * 1000)
                    await asyncio.sleep(0.02)
            finally:
                stop.set()
                ordinary = await chatter
                await channel.stop()
                await core.close()
    replies.sort()
    alerts.sort()
    print(f"{emergencies} emergency messages, {people} people chatting meanwhile "
          f"({ordinary} ordinary replies), local Bot API stand-in")
    print(f"  first emergency reply sent: p50 {percentile(replies, 0.5):.1f} ms, "
          f"p99 {percentile(replies, 0.99):.1f} ms   (target p99 < 200 ms)")
    print(f"  staff alert sent:           p50 {percentile(alerts, 0.5):.1f} ms, "
          f"p99 {percentile(alerts, 0.99):.1f} ms   (target p99 < 500 ms)")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    emergencies, people = (args + [200, 20][len(args):])[:2]
    asyncio.run(main(emergencies, people))
