"""The whole hotline on the real PostgreSQL server (127.0.0.1:5432): a message is answered and
kept across a restart, and two instances on one database share the counsellors' queue, each
case claimed by exactly one press."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from bot.app import open_core
from bot.config import build_config
from bot.store.postgres import PostgresStore
from flows.cases import CaseStatus, claim_data
from tests.conftest import Clock
from tests.factories import make_incoming
from tests.factories_staff import seed_waiting_cases, staff
from tests.postgres import empty_tables

COUNSELLORS = [7000 + i for i in range(10)]
CASES = 60


async def test_a_message_on_postgresql_is_answered_and_kept_after_a_restart(
    postgres_url: str, clock: Clock
) -> None:
    empty_tables(postgres_url)
    config = build_config({"database": {"url": postgres_url}}, env={})
    core = await open_core(config, clock=clock)
    try:
        assert isinstance(core.store, PostgresStore)
        handled = await core.dispatcher.handle(make_incoming("/start", user="42", event_id="e0"))
        assert handled.replies  # the menu
        again = await core.dispatcher.handle(make_incoming("/start", user="42", event_id="e1"))
        duplicate = await core.dispatcher.handle(make_incoming("/start", user="42",
                                                               event_id="e1"))
        assert again.replies and duplicate.route == "duplicate"
    finally:
        await core.close()
    core = await open_core(config, clock=clock)
    try:
        person = await core.store.views.person("telegram", "42")
        assert person is not None
        history = await core.store.views.history(person.id)
        assert [m.text for m in history if m.direction == "in"] == ["/start", "/start"]
        assert len(await core.store.outbox.due("telegram", clock(), 10)) == 1  # the first
    finally:
        await core.close()


async def test_two_instances_claiming_the_same_cases_at_once_claim_each_once(
    postgres_url: str,
) -> None:
    empty_tables(postgres_url)
    config = build_config(
        {"database": {"url": postgres_url},
         "staff": {"counsellors": COUNSELLORS, "max_active_cases": CASES}},
        env={},
    )
    one, two = await open_core(config), await open_core(config)
    try:
        await seed_waiting_cases(one, CASES)
        wins: Counter[int] = Counter()

        async def counsellor(uid: int) -> None:
            desk = (one if uid % 2 else two).desk  # half the counsellors on each instance
            order = list(range(1, CASES + 1))
            random.Random(uid).shuffle(order)
            for case_id in order:
                handled = await desk.handle(staff(uid, button=claim_data(case_id)))
                if "Bạn đã nhận ca" in handled.reply_text:
                    wins[case_id] += 1

        await asyncio.gather(*(counsellor(uid) for uid in COUNSELLORS))
        claimed = [c for c in await one.store.views.open_cases()
                   if c.status == CaseStatus.ACTIVE]
    finally:
        await two.close()
        await one.close()
    assert set(wins) == set(range(1, CASES + 1)) and max(wins.values()) == 1
    assert len(claimed) == CASES
