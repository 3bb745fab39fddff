"""The isolation a store owns, so that several instances can share one database: one
person's units of work never overlap, a reply or an inbox event is leased to one worker,
a job under a singleton runs on one worker at a time. Two instances here are two stores
opened on the same database, as two processes would be."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from flows.messages import Outgoing, Priority
from flows.store import InboundEvent, Store, person_key
from tests.conftest import Clock
from tests.contract.conftest import BUILDERS, DEATHS

LEASE = timedelta(minutes=2)


@pytest.fixture
async def pair(
    request: pytest.FixtureRequest, store_kind: str, clock: Clock
) -> AsyncIterator[tuple[Store, Store]]:
    one = BUILDERS[store_kind](request, clock, "one")
    two = BUILDERS[store_kind](request, clock, "two")
    await one.open()
    await two.open()
    yield one, two
    await two.close()
    await one.close()


async def queue_replies(store: Store, clock: Clock, *recipients: str,
                        priority: Priority = Priority.NORMAL) -> list[int]:
    async with store.transaction() as tx:
        return [await tx.outbox.enqueue("telegram", r, Outgoing(f"reply to {r}", priority=priority),
                                 clock())
                for r in recipients]


# ---------------------------------------------------------------- the outbox


async def test_a_due_reply_is_leased_to_one_worker(pair: tuple[Store, Store],
                                                   clock: Clock) -> None:
    one, two = pair
    ids = await queue_replies(one, clock, "1", "2")
    mine = await one.outbox.claim("telegram", "one/telegram", LEASE)
    assert [d.id for d in mine] == ids
    assert await two.outbox.claim("telegram", "two/telegram", LEASE) == []


async def test_two_workers_claiming_at_once_share_the_replies_without_overlap(
    pair: tuple[Store, Store], clock: Clock
) -> None:
    one, two = pair
    ids = await queue_replies(one, clock, *(str(n) for n in range(20)))
    first, second = await asyncio.gather(
        one.outbox.claim("telegram", "one/telegram", LEASE, limit=12),
        two.outbox.claim("telegram", "two/telegram", LEASE, limit=12),
    )
    got = [d.id for d in first] + [d.id for d in second]
    assert sorted(got) == ids  # each reply went to exactly one worker


async def test_the_most_urgent_reply_is_claimed_first(pair: tuple[Store, Store],
                                                      clock: Clock) -> None:
    one, _ = pair
    ordinary = await queue_replies(one, clock, "1", "2")
    critical = await queue_replies(one, clock, "3", priority=Priority.CRITICAL)
    claimed = await one.outbox.claim("telegram", "one/telegram", LEASE)
    assert [d.id for d in claimed] == critical + ordinary


async def test_a_sent_reply_is_not_claimed_again(pair: tuple[Store, Store], clock: Clock) -> None:
    one, two = pair
    await queue_replies(one, clock, "1")
    [delivery] = await one.outbox.claim("telegram", "one/telegram", LEASE)
    await one.outbox.mark_sent(delivery.id, clock(), "m1")
    clock.advance(LEASE.total_seconds() + 1)
    assert await two.outbox.claim("telegram", "two/telegram", LEASE) == []
    assert await one.outbox.claim("telegram", "one/telegram", LEASE) == []


async def test_a_dead_workers_replies_go_to_another_when_its_lease_runs_out(
    pair: tuple[Store, Store], clock: Clock
) -> None:
    one, two = pair
    [reply] = await queue_replies(one, clock, "1")
    await one.outbox.claim("telegram", "one/telegram", LEASE)  # ... and the worker dies
    clock.advance(LEASE.total_seconds() - 1)
    assert await two.outbox.claim("telegram", "two/telegram", LEASE) == []
    clock.advance(2)
    assert [d.id for d in await two.outbox.claim("telegram", "two/telegram", LEASE)] == [reply]


async def test_a_restarted_worker_takes_back_its_own_unfinished_replies_at_once(
    pair: tuple[Store, Store], clock: Clock
) -> None:
    one, _ = pair
    [reply] = await queue_replies(one, clock, "1")
    await one.outbox.claim("telegram", "one/telegram", LEASE)  # killed before sending
    again = await one.outbox.claim("telegram", "one/telegram", LEASE)  # same name, next life
    assert [d.id for d in again] == [reply]


async def test_a_retried_reply_is_free_for_any_worker_when_due_again(
    pair: tuple[Store, Store], clock: Clock
) -> None:
    one, two = pair
    [reply] = await queue_replies(one, clock, "1")
    [delivery] = await one.outbox.claim("telegram", "one/telegram", LEASE)
    await one.outbox.mark_retry(delivery.id, "429", clock() + timedelta(seconds=5))
    assert await two.outbox.claim("telegram", "two/telegram", LEASE) == []  # not due yet
    clock.advance(6)
    [retried] = await two.outbox.claim("telegram", "two/telegram", LEASE)
    assert (retried.id, retried.attempts) == (reply, 1)


async def test_a_reply_leased_elsewhere_holds_back_the_later_ones_to_that_person(
    pair: tuple[Store, Store], clock: Clock
) -> None:
    one, two = pair
    first, second = await queue_replies(one, clock, "1", "1")
    assert [d.id for d in await one.outbox.claim("telegram", "one/telegram", LEASE, limit=1)] == [
        first]
    # The second reply to the same person must not overtake the first, sent elsewhere.
    assert await two.outbox.claim("telegram", "two/telegram", LEASE) == []
    await one.outbox.mark_sent(first, clock(), "m1")
    assert [d.id for d in await two.outbox.claim("telegram", "two/telegram", LEASE)] == [second]


async def test_the_next_due_time_waits_for_a_lease_held_elsewhere(
    pair: tuple[Store, Store], clock: Clock
) -> None:
    one, two = pair
    await queue_replies(one, clock, "1")
    await one.outbox.claim("telegram", "one/telegram", LEASE)
    assert await two.outbox.next_due_at("telegram") == clock() + LEASE  # not now: no busy waiting


# ---------------------------------------------------------------- the inbox


async def test_two_instances_starting_together_replay_each_event_once(
    pair: tuple[Store, Store], clock: Clock
) -> None:
    one, two = pair
    events = [InboundEvent("telegram", str(n), f'{{"update_id": {n}}}', clock())
              for n in range(6)]
    await one.record_inbound(events)
    first, second = await asyncio.gather(
        one.inbox.claim("telegram", "one/telegram", LEASE),
        two.inbox.claim("telegram", "two/telegram", LEASE),
    )
    replayed = [e.event_id for e in first] + [e.event_id for e in second]
    assert sorted(replayed, key=int) == [e.event_id for e in events]


async def test_replayed_events_come_oldest_first_and_not_once_handled(
    pair: tuple[Store, Store], clock: Clock
) -> None:
    one, _ = pair
    await one.record_inbound([InboundEvent("zalo", "b", "{}", clock())])
    clock.advance(1)
    await one.record_inbound([InboundEvent("zalo", "a", "{}", clock())])
    async with one.transaction() as tx:
        await tx.inbox.mark_processed("zalo", "b", clock())
    clock.advance(LEASE.total_seconds() + 1)
    assert [e.event_id for e in await one.inbox.claim("zalo", "w", LEASE)] == ["a"]


# ---------------------------------------------------------------- singletons


async def test_a_singleton_job_runs_on_one_instance_at_a_time(
    pair: tuple[Store, Store],
) -> None:
    one, two = pair
    async with one.singleton("case_watch", LEASE) as first:
        async with two.singleton("case_watch", LEASE) as second:
            assert (first, second) == (True, False)
            assert await two.singleton_holder("case_watch") is not None
        async with one.singleton("case_watch", LEASE) as same_instance_again:
            assert not same_instance_again  # another task of the same instance is refused too
    async with two.singleton("case_watch", LEASE) as after:
        assert after  # released on exit
    assert await one.singleton_holder("case_watch") is None


async def test_different_singletons_do_not_exclude_each_other(pair: tuple[Store, Store]) -> None:
    one, two = pair
    async with one.singleton("case_watch", LEASE) as watch:
        async with two.singleton("purge", LEASE) as purge:
            assert watch and purge


async def test_a_dead_holders_singleton_is_taken_over(
    pair: tuple[Store, Store], store_kind: str, clock: Clock
) -> None:
    one, two = pair
    holding = one.singleton("purge", LEASE)
    assert await holding.__aenter__()
    async with two.singleton("purge", LEASE) as early:
        assert not early
    await DEATHS[store_kind](one)  # ... and the holder dies without leaving
    clock.advance(LEASE.total_seconds() + 1)  # a lease runs out; a lock went with its holder
    async with two.singleton("purge", LEASE) as late:
        assert late
        with contextlib.suppress(Exception):  # the dead one's late exit frees nothing
            await holding.__aexit__(None, None, None)
        async with two.singleton("purge", LEASE) as third:
            assert not third


async def test_a_waiting_singleton_runs_once_the_holder_is_done(
    pair: tuple[Store, Store],
) -> None:
    one, two = pair
    order: list[str] = []

    async def refresh(store: Store, name: str) -> None:
        async with store.singleton("zalo_token_refresh", LEASE, wait=True) as mine:
            assert mine
            order.append(f"{name} in")
            await asyncio.sleep(0.1)
            order.append(f"{name} out")

    await asyncio.gather(refresh(one, "one"), refresh(two, "two"))
    assert order in (["one in", "one out", "two in", "two out"],
                     ["two in", "two out", "one in", "one out"])


# ---------------------------------------------------------------- one person at a time


async def test_one_persons_units_of_work_on_two_instances_lose_no_update(
    pair: tuple[Store, Store],
) -> None:
    one, two = pair
    key = person_key("telegram", "42")

    async def count_up(store: Store) -> None:
        async with store.transaction(person=key) as tx:
            person = await tx.people.get("telegram", "42")
            seen = int(person.flow_data.get("n", 0))
            await asyncio.sleep(0.01)  # another instance would interleave here
            await tx.people.set_flow(person.id, "menu", {"n": seen + 1})

    await asyncio.gather(*(count_up(store) for _ in range(5) for store in (one, two)))
    found = await one.views.person("telegram", "42")
    assert found is not None and found.flow_data == {"n": 10}
