"""The period reports' read side (Views.period), on every store: the cases opened in a
half-open period and nothing else, the count of the period before, and the 👍/👎 and
unanswered questions of the period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows.cases import CaseStatus
from flows.messages import Priority
from flows.store import NO_ANSWER, WHICH, Store
from tests.contract.support import claim, new_case, new_person

START = datetime(2026, 10, 31, 17, 0, tzinfo=UTC)  # 1 November 2026, 00:00 in Hà Nội
END = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 1 December, 00:00 in Hà Nội
BEFORE = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)  # 1 October
SECOND = timedelta(seconds=1)


async def test_a_period_holds_the_cases_opened_from_its_start_to_just_before_its_end(
    store: Store,
) -> None:
    person = await new_person(store)
    first = await new_case(store, person.id, START, Priority.CRITICAL, category="suicide")
    last = await new_case(store, person.id, END - SECOND, topic="tre_em")
    middle = await new_case(store, person.id, START + timedelta(days=3), Priority.URGENT)
    await new_case(store, person.id, START - SECOND)  # 31 October, 23:59:59
    await new_case(store, person.id, END)  # 1 December, 00:00
    await claim(store, middle.id, 5001, START + timedelta(days=3, minutes=2))

    record = await store.views.period(START, END, BEFORE)

    assert [c.id for c in record.cases] == [first.id, middle.id, last.id]  # oldest first
    by_id = {c.id: c for c in record.cases}
    assert by_id[first.id].category == "suicide" and by_id[last.id].topic == "tre_em"
    assert by_id[middle.id].status is CaseStatus.ACTIVE and by_id[middle.id].claimed_by == 5001
    assert by_id[first.id].channel == "telegram"  # the person's channel comes with the case
    assert record.previous == 1  # the one of 31 October


async def test_the_previous_count_is_none_when_no_case_was_ever_opened_before(
    store: Store,
) -> None:
    person = await new_person(store)
    await new_case(store, person.id, START + timedelta(hours=1))
    assert (await store.views.period(START, END, BEFORE)).previous is None
    await new_case(store, person.id, BEFORE - timedelta(days=40))  # long before: none in Oct
    assert (await store.views.period(START, END, BEFORE)).previous == 0


async def test_votes_and_unanswered_questions_are_counted_in_the_period_only(
    store: Store,
) -> None:
    person = await new_person(store)
    async with store.transaction() as tx:
        for helpful, at in ((True, START), (True, END - SECOND), (False, START + SECOND),
                            (False, START - SECOND), (True, END)):
            await tx.feedback.add_rating(person.id, "tro-cap", helpful, "bao nhiêu", at)
        for kind, at in ((NO_ANSWER, START), (NO_ANSWER, END - SECOND), (WHICH, START),
                         (WHICH, END)):
            await tx.feedback.add_unanswered(person.id, "hỏi gì đó", None, kind, at)

    record = await store.views.period(START, END, BEFORE)

    assert (record.helpful, record.unhelpful) == (2, 1)
    assert record.unanswered == ((NO_ANSWER, 2), (WHICH, 1))


async def test_an_empty_period_has_no_cases_and_zero_counts(store: Store) -> None:
    record = await store.views.period(START, END, BEFORE)
    assert record.cases == () and record.previous is None
    assert (record.helpful, record.unhelpful) == (0, 0)
    assert record.unanswered == ((NO_ANSWER, 0), (WHICH, 0))


async def test_inside_a_unit_of_work_the_period_sees_what_the_unit_wrote(store: Store) -> None:
    person = await new_person(store)
    async with store.transaction() as tx:
        case = await tx.cases.create(person.id, Priority.NORMAL, START + timedelta(days=1))
        assert [c.id for c in (await tx.views.period(START, END, BEFORE)).cases] == [case.id]
