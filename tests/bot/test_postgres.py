"""The whole hotline on the real PostgreSQL server (127.0.0.1:5432): a message is answered and
kept across a restart, and two instances on one database share the counsellors' queue, each
case claimed by exactly one press."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import timedelta

from bot.app import open_core
from bot.config import build_config
from bot.store.postgres import PostgresStore
from flows.cases import CaseStatus, claim_data
from flows.messages import Outgoing
from flows.store import InboundEvent, person_key
from tests.conftest import Clock
from tests.contract.conftest import postgres_dies
from tests.factories import make_incoming
from tests.factories_staff import seed_waiting_cases, staff
from tests.postgres import empty_tables

LONG = timedelta(hours=1)  # no lease runs out in these tests
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


# ---------------------------------------------------------------- held on a session


async def open_pair(url: str, clock: Clock) -> tuple[PostgresStore, PostgresStore]:
    one = PostgresStore(url, clock, instance="one")
    two = PostgresStore(url, clock, instance="two")
    await one.open()
    await two.open()
    return one, two


async def test_a_job_of_an_instance_that_dies_is_taken_over_without_waiting_for_a_lease(
    postgres_url: str, clock: Clock
) -> None:
    """No clock moves here: the lock went with the dead holder's session."""
    empty_tables(postgres_url)
    one, two = await open_pair(postgres_url, clock)
    try:
        async with one.singleton("case_watch", LONG) as mine:
            assert mine
            assert await two.singleton_holder("case_watch") == one.session_name
            async with two.singleton("case_watch", LONG) as theirs:
                assert not theirs
            await postgres_dies(one)
            async with two.singleton("case_watch", LONG) as theirs:
                assert theirs
    finally:
        await two.close()
        await one.close()


async def test_a_holder_learns_it_lost_its_right_when_its_connection_is_gone(
    postgres_url: str, clock: Clock
) -> None:
    empty_tables(postgres_url)
    one, two = await open_pair(postgres_url, clock)
    try:
        async with one.exclusive("sending:telegram:1") as hold:
            await postgres_dies(one)  # e.g. the network between it and the database failed
            await asyncio.wait_for(hold.lost.wait(), 10)
            async with asyncio.timeout(10), two.exclusive("sending:telegram:1") as theirs:
                assert not theirs.lost.is_set()
    finally:
        await two.close()
        await one.close()


async def test_a_reply_queued_on_one_instance_wakes_the_other(
    postgres_url: str, clock: Clock
) -> None:
    empty_tables(postgres_url)
    one, two = await open_pair(postgres_url, clock)
    heard: asyncio.Queue[str] = asyncio.Queue()
    try:
        await two.listen(heard.put_nowait)
        async with one.transaction() as tx:
            await tx.outbox.enqueue("telegram", "42", Outgoing("Xin chào"), clock())
            await tx.outbox.enqueue("telegram", "43", Outgoing("Xin chào"), clock())
            await tx.outbox.enqueue("zalo", "44", Outgoing("Xin chào"), clock())
        woken = {await asyncio.wait_for(heard.get(), 5), await asyncio.wait_for(heard.get(), 5)}
        assert woken == {"telegram", "zalo"}  # one wake per channel of the commit
    finally:
        await two.close()
        await one.close()


async def test_a_persons_later_message_on_one_instance_waits_for_the_earlier_one_on_another(
    postgres_url: str, clock: Clock
) -> None:
    """Each instance handles what it received; the person's replies still come in the order
    they wrote."""
    empty_tables(postgres_url)
    config = build_config({"database": {"url": postgres_url}}, env={})
    one, two = await open_core(config, clock=clock), await open_core(config, clock=clock)
    try:
        first = make_incoming("/start", user="42", event_id="a")
        later = make_incoming("/help", user="42", event_id="b")
        key = person_key("telegram", "42")
        for message in (first, later):  # kept in this order, by the two instances
            await one.store.record_inbound([InboundEvent("telegram", message.event_id, "{}",
                                                         clock(), key)])
        waiting = asyncio.create_task(two.dispatcher.handle(later))
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the later message did not wait for the earlier one"
        await one.dispatcher.handle(first)
        await asyncio.wait_for(waiting, 5)
        person = await one.store.views.person("telegram", "42")
        assert person is not None
        history = await one.store.views.history(person.id)
        assert [m.text for m in history if m.direction == "in"] == ["/start", "/help"]

        emergency = make_incoming("Cứu tôi với, có người đang đánh tôi", user="43",
                                  event_id="c")
        await one.store.record_inbound([InboundEvent("telegram", "x", "{}", clock(),
                                                     person_key("telegram", "43")),
                                        InboundEvent("telegram", "c", "{}", clock(),
                                                     person_key("telegram", "43"))])
        handled = await asyncio.wait_for(two.dispatcher.handle(emergency), 2)
        assert handled.replies  # answered at once: an emergency waits for nothing
    finally:
        await two.close()
        await one.close()
