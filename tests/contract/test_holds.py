"""What several instances need of a store beyond the domain's port: a right one worker holds
for as long as it runs (one sending instance per Telegram bot), replies taken back from a
worker that lost it, the events a dead instance left in the inbox, and what a channel set up
once for all instances."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import cast

import pytest

from bot.store.port import EdgeStore, Hold
from bot.store.sql.singletons import HOLD_FOR
from flows.messages import Outgoing
from flows.store import InboundEvent
from tests.conftest import Clock
from tests.contract.conftest import BUILDERS, DEATHS
from tests.contract.test_leases import LEASE

TURN = "sending:telegram:123"


@pytest.fixture
async def pair(
    request: pytest.FixtureRequest, store_kind: str, clock: Clock
) -> AsyncIterator[tuple[EdgeStore, EdgeStore]]:
    one = cast(EdgeStore, BUILDERS[store_kind](request, clock, "one"))
    two = cast(EdgeStore, BUILDERS[store_kind](request, clock, "two"))
    await one.open()
    await two.open()
    yield one, two
    await two.close()
    await one.close()


async def take(store: EdgeStore, name: str = TURN) -> tuple[Hold, contextlib.AsyncExitStack]:
    stack = contextlib.AsyncExitStack()
    hold = await stack.enter_async_context(store.exclusive(name))
    return hold, stack


async def test_a_kept_right_has_one_holder_and_passes_on_when_it_is_left(
    pair: tuple[EdgeStore, EdgeStore],
) -> None:
    one, two = pair
    async with one.exclusive(TURN) as first:
        waiting = asyncio.create_task(take(two))
        await asyncio.sleep(1.5)  # the waiting worker has looked several times by now
        assert not waiting.done(), "two workers held one right at once"
        assert not first.lost.is_set()
    second, stack = await asyncio.wait_for(waiting, 10)
    assert second.holder != first.holder
    await stack.aclose()


async def test_other_rights_do_not_wait_for_each_other(
    pair: tuple[EdgeStore, EdgeStore],
) -> None:
    one, two = pair
    async with one.exclusive(TURN):
        other, stack = await asyncio.wait_for(take(two, "sending:zalo:1"), 5)
        await stack.aclose()


async def test_a_dead_holders_right_is_taken_over(
    pair: tuple[EdgeStore, EdgeStore], store_kind: str, clock: Clock
) -> None:
    one, two = pair
    _, dead = await take(one)
    await DEATHS[store_kind](one)
    clock.advance(HOLD_FOR.total_seconds() + 1)  # a lease runs out; a lock went with its holder
    hold, stack = await asyncio.wait_for(take(two), 10)
    assert not hold.lost.is_set()
    await stack.aclose()
    with contextlib.suppress(Exception):  # the dead one's late exit
        await dead.aclose()


async def test_replies_leased_by_another_worker_are_taken_back_at_once(
    pair: tuple[EdgeStore, EdgeStore], clock: Clock
) -> None:
    one, two = pair
    async with one.transaction() as tx:
        ids = [await tx.outbox.enqueue("telegram", r, Outgoing("xin chào"), clock())
               for r in ("1", "2")]
        await tx.outbox.enqueue("zalo", "3", Outgoing("xin chào"), clock())
    assert [d.id for d in await one.outbox.claim("telegram", "one/telegram", LEASE)] == ids
    await one.outbox.claim("zalo", "one/zalo", LEASE)
    assert await two.outbox.claim("telegram", "two/telegram", LEASE) == []

    assert await two.outbox.take_back("telegram", "two/telegram") == 2
    assert [d.id for d in await two.outbox.claim("telegram", "two/telegram", LEASE)] == ids
    assert await two.outbox.take_back("telegram", "two/telegram") == 0  # its own stay its own
    assert await two.outbox.claim("zalo", "two/zalo", LEASE) == []  # another channel's stay


async def test_only_events_left_for_a_while_are_picked_up(
    pair: tuple[EdgeStore, EdgeStore], clock: Clock
) -> None:
    one, two = pair
    await one.record_inbound([InboundEvent("telegram", "old", "{}", clock())])
    clock.advance(20)
    await one.record_inbound([InboundEvent("telegram", "new", "{}", clock())])
    before = clock() - timedelta(seconds=10)
    left = await two.inbox.claim("telegram", "two/telegram", LEASE, received_before=before)
    assert [e.event_id for e in left] == ["old"]
    # Leased now: a third instance looking meanwhile does not take it too.
    assert await one.inbox.claim("telegram", "one/telegram", LEASE, received_before=before) == []


async def test_a_channel_setting_is_seen_by_every_instance(
    pair: tuple[EdgeStore, EdgeStore],
) -> None:
    one, two = pair
    assert await two.tokens.setting("telegram_webhook:123") is None
    await one.tokens.remember_setting("telegram_webhook:123", "digest-1")
    await one.tokens.remember_setting("telegram_webhook:123", "digest-2")
    assert await two.tokens.setting("telegram_webhook:123") == "digest-2"


async def test_a_persons_earlier_unhandled_event_is_seen_by_every_instance(
    pair: tuple[EdgeStore, EdgeStore], clock: Clock
) -> None:
    one, two = pair
    lan, hoa = "telegram:1", "telegram:2"
    await one.record_inbound([InboundEvent("telegram", "a", "{}", clock(), lan),
                              InboundEvent("telegram", "b", "{}", clock(), hoa)])
    await two.record_inbound([InboundEvent("telegram", "c", "{}", clock(), lan)])
    assert await two.inbox.earlier_unhandled("telegram", "c", lan)
    assert not await two.inbox.earlier_unhandled("telegram", "a", lan)  # the first
    assert not await two.inbox.earlier_unhandled("telegram", "b", hoa)  # another person's
    async with one.transaction() as tx:
        await tx.inbox.mark_processed("telegram", "a", clock())
    assert not await one.inbox.earlier_unhandled("telegram", "c", lan)
    assert not await one.inbox.earlier_unhandled("telegram", "never-kept", lan)
