"""The durable inbox (events kept before they are handled) and the outbox (replies kept
until sent), through the store port."""

from __future__ import annotations

from datetime import timedelta

from flows.messages import Button, Outgoing, Priority
from flows.store import InboundEvent, Store
from tests.conftest import Clock
from tests.contract.support import CHANNEL, enqueue, new_case, new_person


def event(clock: Clock, event_id: str, *, channel: str = CHANNEL, later: float = 0) -> InboundEvent:
    received = clock() + timedelta(seconds=later)
    return InboundEvent(channel, event_id, f'{{"update_id": "{event_id}"}}', received)


# ---------------------------------------------------------------- inbox


async def test_recording_counts_new_events_and_ignores_redeliveries(
    store: Store, clock: Clock
) -> None:
    batch = [event(clock, "1"), event(clock, "2")]
    assert await store.record_inbound(batch) == 2
    assert await store.record_inbound(batch) == 0
    assert await store.record_inbound([event(clock, "2"), event(clock, "3")], urgent=True) == 1
    assert await store.record_inbound([event(clock, "4"), event(clock, "4")]) == 1
    assert [e.event_id for e in await store.inbox.unprocessed(CHANNEL)] == ["1", "2", "3", "4"]


async def test_unprocessed_events_come_back_whole_oldest_first_per_channel(
    store: Store, clock: Clock
) -> None:
    late, early = event(clock, "b", later=5), event(clock, "a")
    await store.record_inbound([late, early, event(clock, "a", channel="zalo", later=1)])
    assert await store.inbox.unprocessed(CHANNEL) == [early, late]
    assert [e.channel for e in await store.inbox.unprocessed("zalo")] == ["zalo"]


async def test_an_event_is_not_processed_until_marked_and_then_not_replayed(
    store: Store, clock: Clock
) -> None:
    await store.record_inbound([event(clock, "1"), event(clock, "2")])
    async with store.transaction() as tx:
        assert not await tx.inbox.is_processed(CHANNEL, "1")
        await tx.inbox.mark_processed(CHANNEL, "1", clock())
        assert await tx.inbox.is_processed(CHANNEL, "1")
    async with store.transaction() as tx:
        assert await tx.inbox.is_processed(CHANNEL, "1")
        assert not await tx.inbox.is_processed("zalo", "1")  # ids are per channel
    assert [e.event_id for e in await store.inbox.unprocessed(CHANNEL)] == ["2"]


async def test_an_event_handled_without_the_inbox_is_still_a_redelivery(
    store: Store, clock: Clock
) -> None:
    # The console and staff events are marked processed without having been recorded first.
    async with store.transaction() as tx:
        assert not await tx.inbox.is_processed(CHANNEL, "9")
        await tx.inbox.mark_processed(CHANNEL, "9", clock())
    assert await store.record_inbound([event(clock, "9")]) == 0
    assert await store.inbox.unprocessed(CHANNEL) == []


# ---------------------------------------------------------------- outbox


async def test_an_enqueued_reply_comes_back_whole(store: Store, clock: Clock) -> None:
    person = await new_person(store, "42")
    case = await new_case(store, person.id, clock())
    message = Outgoing(
        "Bạn muốn làm gì?", buttons=((Button("Gọi", "call:1"), Button("Hỏi", "ask")),),
        location_button="Gửi vị trí", priority=Priority.URGENT, copy_from="telegram:1:2",
        edit="card", remove_keyboard=True,
    )
    async with store.transaction() as tx:
        delivery_id = await tx.outbox.enqueue(CHANNEL, "42", message, clock(), person_id=person.id,
                                       case_id=case.id)
    [due] = await store.outbox.due(CHANNEL, clock(), 10)
    assert (due.id, due.channel, due.recipient, due.message) == (
        delivery_id, CHANNEL, "42", message)
    assert (due.person_id, due.case_id, due.attempts, due.created_at) == (
        person.id, case.id, 0, clock())


async def test_a_reply_is_not_due_before_its_time(store: Store, clock: Clock) -> None:
    await enqueue(store, "1", "sau", clock() + timedelta(seconds=60))
    assert await store.outbox.due(CHANNEL, clock(), 10) == []
    later = clock() + timedelta(seconds=60)
    assert [d.message.text for d in await store.outbox.due(CHANNEL, later, 10)] == ["sau"]


async def test_replies_are_due_per_channel(store: Store, clock: Clock) -> None:
    await enqueue(store, "1", "telegram", clock())
    await enqueue(store, "1", "zalo", clock(), channel="zalo")
    assert [d.message.text for d in await store.outbox.due("zalo", clock(), 10)] == ["zalo"]


async def test_higher_priority_replies_go_first_then_the_oldest(
    store: Store, clock: Clock
) -> None:
    await enqueue(store, "1", "normal", clock())
    await enqueue(store, "2", "review", clock(), priority=Priority.REVIEW)
    await enqueue(store, "3", "critical", clock(), priority=Priority.CRITICAL)
    await enqueue(store, "4", "normal later", clock())
    await enqueue(store, "5", "urgent", clock(), priority=Priority.URGENT)
    due = await store.outbox.due(CHANNEL, clock(), 10)
    assert [d.message.text for d in due] == [
        "critical", "urgent", "review", "normal", "normal later"]
    assert [d.message.text for d in await store.outbox.due(CHANNEL, clock(), 2)] == [
        "critical", "urgent"]


async def test_only_a_recipients_oldest_pending_reply_is_due(store: Store, clock: Clock) -> None:
    # Their order must hold even when a later reply to them is more urgent.
    await enqueue(store, "1", "a1", clock())
    await enqueue(store, "1", "a2", clock(), priority=Priority.CRITICAL)
    await enqueue(store, "2", "b1", clock())
    assert [d.message.text for d in await store.outbox.due(CHANNEL, clock(), 10)] == [
        "a1", "b1"]


async def test_a_sent_reply_is_not_due_again_and_the_next_one_follows(
    store: Store, clock: Clock
) -> None:
    first = await enqueue(store, "1", "một", clock())
    await enqueue(store, "1", "hai", clock())
    await store.outbox.mark_sent(first, clock(), ref="telegram:1:99")
    assert [d.message.text for d in await store.outbox.due(CHANNEL, clock(), 10)] == ["hai"]


async def test_a_retry_waits_for_its_time_and_counts_the_attempt(
    store: Store, clock: Clock
) -> None:
    delivery_id = await enqueue(store, "1", "một", clock())
    retry_at = clock() + timedelta(seconds=30)
    await store.outbox.mark_retry(delivery_id, "429 retry_after 30", retry_at)
    assert await store.outbox.due(CHANNEL, clock(), 10) == []
    [due] = await store.outbox.due(CHANNEL, retry_at, 10)
    assert due.id == delivery_id and due.attempts == 1
    await store.outbox.mark_retry(delivery_id, "timed out", retry_at)
    [due] = await store.outbox.due(CHANNEL, retry_at, 10)
    assert due.attempts == 2


async def test_a_reply_waiting_for_a_retry_holds_back_the_later_ones_to_that_person(
    store: Store, clock: Clock
) -> None:
    first = await enqueue(store, "1", "a1", clock())
    await enqueue(store, "1", "a2", clock())
    await enqueue(store, "2", "b1", clock())
    retry_at = clock() + timedelta(seconds=30)
    await store.outbox.mark_retry(first, "timed out", retry_at)
    assert [d.message.text for d in await store.outbox.due(CHANNEL, clock(), 10)] == ["b1"]
    assert [d.message.text for d in await store.outbox.due(CHANNEL, retry_at, 10)] == [
        "a1", "b1"]


async def test_an_undeliverable_reply_is_taken_out_and_the_next_one_follows(
    store: Store, clock: Clock
) -> None:
    first = await enqueue(store, "1", "a1", clock())
    await enqueue(store, "1", "a2", clock())
    await store.outbox.mark_undeliverable(first, "403 blocked by the user", clock())
    later = clock() + timedelta(days=1)
    assert [d.message.text for d in await store.outbox.due(CHANNEL, later, 10)] == ["a2"]


async def test_next_due_at_is_the_earliest_pending_reply_of_the_channel(
    store: Store, clock: Clock
) -> None:
    assert await store.outbox.next_due_at(CHANNEL) is None
    soon, sooner = clock() + timedelta(seconds=10), clock() + timedelta(seconds=5)
    late = await enqueue(store, "1", "a", soon)
    early = await enqueue(store, "2", "b", sooner)
    await enqueue(store, "3", "zalo", clock(), channel="zalo")
    assert await store.outbox.next_due_at(CHANNEL) == sooner
    await store.outbox.mark_sent(early, sooner)
    assert await store.outbox.next_due_at(CHANNEL) == soon
    await store.outbox.mark_undeliverable(late, "gone", soon)
    assert await store.outbox.next_due_at(CHANNEL) is None
    assert await store.outbox.next_due_at("zalo") == clock()


async def test_next_due_at_is_when_due_deliveries_will_next_return_something(
    store: Store, clock: Clock
) -> None:
    # The deliverer sleeps until next_due_at. A later reply stuck behind a retrying one is not
    # due before that retry; telling its own time instead makes the deliverer wake, find
    # nothing, and wake again at once until the retry.
    first = await enqueue(store, "1", "a1", clock())
    await enqueue(store, "1", "a2", clock())
    retry_at = clock() + timedelta(seconds=30)
    await store.outbox.mark_retry(first, "429 retry_after 30", retry_at)
    assert await store.outbox.due(CHANNEL, clock(), 10) == []
    assert await store.outbox.next_due_at(CHANNEL) == retry_at
