"""Counsellor handoff figures.

1. Claims per second on SQLite with 20 counsellors racing for the same 500 waiting cases
   through the real staff desk, and a count of double claims (must be 0).
2. Relay latency person -> case topic and topic -> person, p50 and p99, through the real
   Telegram adapter on the local Bot API stand-in.

    .venv/bin/python benchmarks/handoff_bench.py
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.driver import percentile, standin_config
from bot.app import assemble, open_core
from bot.config import build_config
from bot.logs import setup_logging
from tests.factories_staff import claim_race, seed_waiting_cases
from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn

COUNSELLORS = [7000 + i for i in range(20)]
CASES = 500
STAFF_CHAT = updates.STAFF_CHAT_ID


async def measure_claims() -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = build_config(
            {"database": {"url": f"sqlite:///{folder}/claims.db"},
             "staff": {"counsellors": COUNSELLORS, "max_active_cases": CASES}},
            env={},
        )
        core = await open_core(config)
        await seed_waiting_cases(core, CASES)
        started = time.perf_counter()
        wins = await claim_race(core, COUNSELLORS, CASES)
        seconds = time.perf_counter() - started
        await core.close()
        claimed = sqlite3.connect(f"{folder}/claims.db").execute(
            "SELECT count(*) FROM cases WHERE status = 'active'").fetchone()[0]
    attempts = CASES * len(COUNSELLORS)
    doubles = sum(1 for n in wins.values() if n > 1)
    print(f"claim race: {len(COUNSELLORS)} counsellors x {CASES} cases = {attempts} presses in "
          f"{seconds:.2f} s: {attempts / seconds:.0f} presses/s, "
          f"{CASES / seconds:.0f} successful claims/s")
    print(f"  cases claimed: {claimed}/{CASES}, double claims: {doubles}, "
          f"cases won by a press: {len(wins)}")


async def relay_latency(rounds: int = 200) -> None:
    async with BotApiStandIn() as api:
        with tempfile.TemporaryDirectory() as folder:
            config = standin_config(api, f"{folder}/relay.db", staff_chat_id=STAFF_CHAT,
                                    staff={"counsellors": [5001]})
            core = await open_core(config)
            channel = assemble(core)
            await channel.start()
            person = 111
            try:
                for update in (updates.callback(person, "menu:counsellor"),
                               updates.callback(person, "privacy:agree"),
                               updates.callback(person, "ho:skip")):
                    api.push_update(update)
                    await asyncio.sleep(0.2)
                topic = await api.wait_for(lambda c: c.method == "createForumTopic" and c.ok)
                thread = int(topic.result["message_thread_id"])
                claim = updates.callback(5001, "case:claim:1")
                claim["callback_query"]["message"]["chat"] = {
                    "id": STAFF_CHAT, "type": "supergroup", "title": "S", "is_forum": True}
                claim["callback_query"]["message"]["message_thread_id"] = thread
                api.push_update(claim)
                await api.wait_for(lambda c: c.ok and c.chat_id == person
                                   and "đã nhận" in str(c.params.get("text")))
                inbound: list[float] = []
                outbound: list[float] = []
                for n in range(rounds):
                    since, pushed = api.mark(), time.perf_counter()
                    api.push_update(updates.text(person, f"tin {n}"))
                    call = await api.wait_for(
                        lambda c: c.ok and c.chat_id == STAFF_CHAT
                        and c.params.get("message_thread_id") == thread, since=since)
                    inbound.append((call.at - pushed) * 1000)
                    since, pushed = api.mark(), time.perf_counter()
                    api.push_update(updates.group_text(STAFF_CHAT, 5001, f"trả lời {n}",
                                                       thread_id=thread))
                    call = await api.wait_for(lambda c: c.ok and c.chat_id == person,
                                              since=since)
                    outbound.append((call.at - pushed) * 1000)
            finally:
                await channel.stop()
                await core.close()
    inbound.sort()
    outbound.sort()
    print(f"relay latency over {rounds} messages each way (target p99 < 100 ms):")
    print(f"  person -> topic: p50 {percentile(inbound, 0.5):.1f} ms, "
          f"p99 {percentile(inbound, 0.99):.1f} ms")
    print(f"  topic -> person: p50 {percentile(outbound, 0.5):.1f} ms, "
          f"p99 {percentile(outbound, 0.99):.1f} ms")


async def main() -> None:
    setup_logging("WARNING")
    await measure_claims()
    await relay_latency()


if __name__ == "__main__":
    asyncio.run(main())
