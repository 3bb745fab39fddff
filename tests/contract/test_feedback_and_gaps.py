"""What the knowledge-base editors and the triage export read: answer feedback, unanswered
questions and counsellors' corrections, through the store port."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flows.messages import Priority
from flows.store import NO_ANSWER, UNHELPFUL, WHICH, Correction, GapQuestion, Store
from tests.conftest import Clock
from tests.contract.support import new_case, new_person, say


def correction(case_id: int, clock: Clock, *, priority: Priority = Priority.URGENT,
               category: str | None = "bạo lực", actor: str = "tg:5001") -> Correction:
    return Correction(case_id, Priority.NORMAL, "khác", "rules", priority, category, actor,
                      clock())


async def test_gap_counts_count_unanswered_and_unhelpful_from_a_moment_on(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    async with store.transaction() as tx:
        await tx.feedback.add_unanswered(person.id, "trước đó", None, NO_ANSWER, clock())
        await tx.feedback.add_rating(person.id, "tro-cap", False, "trước đó", clock())
    clock.advance(60)
    since = clock()
    async with store.transaction() as tx:
        await tx.feedback.add_unanswered(person.id, "không có bài", None, NO_ANSWER, clock())
        await tx.feedback.add_unanswered(person.id, "bài nào?", "tro-cap", WHICH, clock())
        await tx.feedback.add_rating(person.id, "tro-cap", False, "chưa rõ", clock())
        # Helpful: no gap.
        await tx.feedback.add_rating(person.id, "tro-cap", True, "cảm ơn", clock())
        counts = await tx.feedback.gap_counts(since)
    assert (counts.unanswered, counts.unhelpful) == (2, 1)


async def test_gap_questions_list_unanswered_and_unhelpful_oldest_first(
    store: Store, clock: Clock
) -> None:
    lan = await new_person(store, "1", "Lan")
    mai = await new_person(store, "2", "Mai")
    async with store.transaction() as tx:
        await tx.feedback.add_unanswered(lan.id, "quá cũ", None, NO_ANSWER, clock())
    clock.advance(60)
    since = clock()
    async with store.transaction() as tx:
        await tx.feedback.add_rating(mai.id, "tro-cap", False, "không giúp được", clock())
    clock.advance(1)
    async with store.transaction() as tx:
        await tx.feedback.add_unanswered(lan.id, "bài nào?", "ho-ngheo", WHICH, clock())
        await tx.feedback.add_rating(lan.id, "tro-cap", True, "hay", clock())
    clock.advance(1)
    async with store.transaction() as tx:
        await tx.feedback.add_unanswered(mai.id, "không có bài", None, NO_ANSWER, clock())
    assert await store.views.gap_questions(since) == [
        GapQuestion(UNHELPFUL, "tro-cap", "không giúp được", "Mai", since),
        GapQuestion(WHICH, "ho-ngheo", "bài nào?", "Lan", since + timedelta(seconds=1)),
        GapQuestion(NO_ANSWER, None, "không có bài", "Mai", since + timedelta(seconds=2)),
    ]


async def test_an_empty_nearest_article_is_no_article(store: Store, clock: Clock) -> None:
    person = await new_person(store)
    async with store.transaction() as tx:
        await tx.feedback.add_unanswered(person.id, "hỏi", "", NO_ANSWER, clock())
    [gap] = await store.views.gap_questions(clock())
    assert gap.article_id is None


async def test_an_unknown_kind_of_unanswered_question_is_refused(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    with pytest.raises(ValueError, match="no_answer"):
        async with store.transaction() as tx:
            await tx.feedback.add_unanswered(person.id, "hỏi", None, UNHELPFUL, clock())
    assert await store.views.gap_questions(clock.start) == []


async def test_a_corrected_case_carries_its_latest_correction_and_the_persons_words(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store, "42", "Mai")
    case = await new_case(store, person.id, clock())
    await say(store, person.id, "nhà em có chuyện", clock(), case_id=case.id)
    await say(store, person.id, "menu:counsellor", clock(), kind="button", case_id=case.id)
    await say(store, person.id, "/huy", clock(), case_id=case.id)
    await say(store, person.id, "", clock(), kind="media", case_id=case.id)
    await say(store, person.id, "chị hỏi thêm", clock(), direction="staff", case_id=case.id)
    await say(store, person.id, "chồng em đánh em", clock(), case_id=case.id)
    await say(store, person.id, "ngoài ca", clock())
    async with store.transaction() as tx:
        await tx.feedback.add_correction(correction(case.id, clock, priority=Priority.URGENT))
    clock.advance(60)
    latest = correction(case.id, clock, priority=Priority.CRITICAL, actor="tg:5002")
    async with store.transaction() as tx:
        await tx.feedback.add_correction(latest)
    clock.advance(60)
    await say(store, person.id, "sau khi sửa", clock(), case_id=case.id)
    [corrected] = await store.views.corrected_cases()
    assert corrected.correction == latest
    assert corrected.texts == ("nhà em có chuyện", "chồng em đánh em")
    assert corrected.first_name == "Mai"


async def test_corrected_cases_are_oldest_first_and_can_start_from_a_moment(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    uncorrected = await new_case(store, person.id, clock())
    first = await new_case(store, person.id, clock())
    second = await new_case(store, person.id, clock())
    async with store.transaction() as tx:
        await tx.feedback.add_correction(correction(second.id, clock))
    clock.advance(60)
    since = clock()
    async with store.transaction() as tx:
        await tx.feedback.add_correction(correction(first.id, clock))
    clock.advance(60)
    async with store.transaction() as tx:
        await tx.feedback.add_correction(correction(second.id, clock, category="mua bán người"))
    every = [c.correction.case_id for c in await store.views.corrected_cases()]
    assert every == [first.id, second.id] and uncorrected.id not in every
    recent = await store.views.corrected_cases(since)
    assert [(c.correction.case_id, c.correction.at) for c in recent] == [
        (first.id, since), (second.id, since + timedelta(seconds=60))]
