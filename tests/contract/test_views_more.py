"""More of the read side (`Store.views`): an operator's delivery screen, a case's trail of
corrections and how the editors' answers were rated."""

from __future__ import annotations

from datetime import timedelta

from flows.messages import Priority
from flows.store import Correction, Store
from tests.conftest import Clock
from tests.contract.support import enqueue, new_case, new_person


async def test_deliveries_show_a_channels_replies_oldest_first_sent_or_not(
    store: Store, clock: Clock
) -> None:
    sent = await enqueue(store, "1", "đã gửi", clock())
    await enqueue(store, "2", "bỏ cuộc", clock(), priority=Priority.CRITICAL)
    await enqueue(store, "1", "đang chờ", clock())
    await enqueue(store, "1", "kênh khác", clock(), channel="zalo")
    clock.advance(5)
    await store.outbox.mark_sent(sent, clock(), "m1")
    [given_up] = [d for d in await store.outbox.due("telegram", clock(), 10) if d.recipient == "2"]
    await store.outbox.mark_undeliverable(given_up.id, "blocked", clock())
    shown = await store.views.deliveries("telegram")
    assert [(d.recipient, d.message.text, at) for d, at in shown] == [
        ("1", "đã gửi", clock()), ("2", "bỏ cuộc", None), ("1", "đang chờ", None)]
    assert shown[1][0].message.priority is Priority.CRITICAL
    assert [d.message.text for d, _ in await store.views.deliveries("zalo")] == ["kênh khác"]


async def test_corrections_keep_every_change_where_corrected_cases_keep_the_latest(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    case = await new_case(store, person.id, clock())
    other = await new_case(store, person.id, clock())

    def change(case_id: int, priority: Priority, category: str | None) -> Correction:
        return Correction(case_id, Priority.NORMAL, "khác", "rules", priority, category,
                          "staff:5001", clock())

    first = change(case.id, Priority.URGENT, "khác")
    async with store.transaction() as tx:
        await tx.feedback.add_correction(first)
    clock.advance(60)
    since = clock()
    then = change(case.id, Priority.URGENT, "bạo lực")
    elsewhere = change(other.id, Priority.CRITICAL, None)
    async with store.transaction() as tx:
        await tx.feedback.add_correction(then)
        await tx.feedback.add_correction(elsewhere)
    assert await store.views.corrections() == [first, then, elsewhere]
    assert await store.views.corrections(since) == [then, elsewhere]
    latest = [c.correction for c in await store.views.corrected_cases()]
    assert latest == [then, elsewhere]


async def test_answer_ratings_hold_thumbs_up_and_down_oldest_first(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    old = clock()
    async with store.transaction() as tx:
        await tx.feedback.add_rating(person.id, "tro-cap", False, "chưa rõ", clock())
    clock.advance(60)
    async with store.transaction() as tx:
        await tx.feedback.add_rating(person.id, "ho-ngheo", True, "cảm ơn", clock())
    assert await store.views.answer_ratings() == [
        ("tro-cap", False, "chưa rõ", old), ("ho-ngheo", True, "cảm ơn", clock())]
    assert await store.views.answer_ratings(old + timedelta(seconds=1)) == [
        ("ho-ngheo", True, "cảm ơn", clock())]
