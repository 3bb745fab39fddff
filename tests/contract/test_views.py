"""The read side (`Store.views`): what staff screens and exports show, read outside any unit
of work, and the audit log as it reads back."""

from __future__ import annotations

from flows.cases import CaseStatus
from flows.messages import Priority
from flows.store import Store
from tests.conftest import Clock
from tests.contract.support import claim, new_case, new_person, say


async def test_the_queue_shows_waiting_cases_in_the_order_they_will_be_taken(
    store: Store, clock: Clock
) -> None:
    a, b, c = [await new_person(store, str(n)) for n in range(3)]
    ordinary = await new_case(store, a.id, clock())
    clock.advance(60)
    critical = await new_case(store, b.id, clock(), Priority.CRITICAL)
    taken = await new_case(store, c.id, clock())
    await claim(store, taken.id, 5001, clock())
    assert [case.id for case in await store.views.queue()] == [critical.id, ordinary.id]
    assert {case.id for case in await store.views.open_cases()} == {
        critical.id, ordinary.id, taken.id}


async def test_a_case_card_holds_the_case_earlier_cases_and_the_latest_words(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store, "7")
    first = await new_case(store, person.id, clock())
    async with store.transaction() as tx:
        await tx.cases.set_status(first.id, CaseStatus.CANCELLED, clock())
    for n in range(15):
        clock.advance(1)
        await say(store, person.id, f"tin {n}", clock())
    second = await new_case(store, person.id, clock(), summary="cần giúp")
    card = await store.views.case_card(second.id, history=12)
    assert card is not None
    assert (card.case.id, card.case.summary) == (second.id, "cần giúp")
    assert [c.id for c in card.earlier] == [first.id]
    assert [m.text for m in card.history] == [f"tin {n}" for n in range(3, 15)]  # the latest 12
    assert card.last_message_at == clock()


async def test_there_is_no_card_for_a_case_that_does_not_exist(store: Store) -> None:
    assert await store.views.case_card(404) is None


async def test_the_audit_log_reads_back_in_order_from_a_day(store: Store, clock: Clock) -> None:
    async with store.transaction() as tx:
        await tx.audit.record("staff:1", "case_claimed", clock(), case_id=None, detail="#1")
    clock.advance(86400)
    day = clock().replace(hour=0, minute=0, second=0, microsecond=0).isoformat()
    async with store.transaction() as tx:
        await tx.audit.record("staff:2", "case_closed", clock(), detail="#1")
    entries = await store.views.audit_entries(day)
    assert [(actor, action) for _, actor, action, _, _ in entries] == [
        ("staff:2", "case_closed")]
    assert len(await store.views.audit_entries()) == 2


async def test_a_day_record_holds_the_cases_opened_since_the_queue_and_the_gaps(
    store: Store, clock: Clock
) -> None:
    a, b = await new_person(store, "1"), await new_person(store, "2")
    yesterday = await new_case(store, a.id, clock())
    clock.advance(86400)
    start = clock()
    today = await new_case(store, b.id, clock(), Priority.URGENT)
    async with store.transaction() as tx:
        await tx.feedback.add_unanswered(b.id, "hỏi gì đó", None, "no_answer", clock())
    day = await store.views.day(start)
    assert [c.id for c in day.opened] == [today.id]
    assert [c.id for c in day.waiting] == [today.id, yesterday.id]  # the queue is all of it
    assert (day.gaps.unanswered, day.gaps.unhelpful) == (1, 0)


async def test_the_read_side_inside_a_unit_of_work_sees_what_it_wrote(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store, "3")
    async with store.transaction() as tx:
        case = await tx.cases.create(person.id, Priority.NORMAL, clock())
        assert [c.id for c in await tx.views.queue()] == [case.id]
    assert [c.id for c in await store.views.queue()] == [case.id]
