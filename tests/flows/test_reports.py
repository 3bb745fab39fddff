"""The queue and today's figures as data, read from the real SQLite store: what the staff desk
renders with its templates and the supervisors' console will render with its pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.app import Core
from flows.cases import Case
from flows.messages import Priority
from flows.reports import DayFigures, case_label, day_figures, queue_rows
from flows.store import NO_ANSWER
from tests.conftest import Clock

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


async def open_case(
    core: Core, user: str, priority: Priority, at: datetime, *, category: str | None = None,
    topic: str = "",
) -> Case:
    async with core.store.transaction() as tx:
        person = await tx.people.get("telegram", user)
        return await tx.cases.create(person.id, priority, at, category=category, topic=topic)


async def answer(core: Core, case: Case, at: datetime) -> None:
    async with core.store.transaction() as tx:
        assert await tx.cases.claim(case.id, 5001, at)
        await tx.cases.mark_first_reply(case.id, at)


async def figures(core: Core, now: datetime) -> DayFigures:
    # From the read side outside any unit of work, as a console would (/thongke reads it
    # inside the staff desk's, and its texts are checked in the desk's tests).
    return await day_figures(core.store.views, now, HANOI, lambda c: case_label(core.services, c))


async def test_a_day_with_a_critical_and_a_normal_case_answered_after_six_minutes(
    desk_core: Core, clock: Clock
) -> None:
    await open_case(desk_core, "111", Priority.CRITICAL, clock(), category="suicide")
    normal = await open_case(desk_core, "222", Priority.NORMAL, clock(), topic="tre_em")
    await answer(desk_core, normal, clock() + timedelta(minutes=6))
    day = await figures(desk_core, clock() + timedelta(minutes=10))
    assert day.total == 2
    assert day.by_priority == {Priority.CRITICAL: 1, Priority.URGENT: 0, Priority.REVIEW: 0,
                               Priority.NORMAL: 1}
    assert list(day.by_priority) == list(Priority)  # every level, in queue order
    assert day.by_category == (("Tự tử, tự gây thương tích", 1), ("🧒 Trẻ em", 1))
    assert (day.answered, day.median, day.p90) == (1, 6.0, 6.0)
    assert day.waiting == 1  # the critical case; the normal one was taken
    assert (day.reviews, day.oldest_review) == (0, None)
    assert (day.unanswered, day.unhelpful) == (0, 0)


async def test_today_starts_at_midnight_in_the_office_time_zone(
    desk_core: Core, clock: Clock
) -> None:
    midnight = clock().astimezone(HANOI).replace(hour=0, minute=0, second=0, microsecond=0)
    await open_case(desk_core, "111", Priority.URGENT, midnight - timedelta(seconds=1))
    await open_case(desk_core, "222", Priority.NORMAL, midnight)
    day = await figures(desk_core, clock())
    assert day.total == 1 and day.by_priority[Priority.NORMAL] == 1
    assert day.waiting == 2  # waiting counts whenever the case was opened


async def test_cases_nobody_could_label_are_counted_together_and_the_most_first(
    desk_core: Core, clock: Clock
) -> None:
    await open_case(desk_core, "111", Priority.NORMAL, clock(), topic="tre_em")
    await open_case(desk_core, "222", Priority.NORMAL, clock())
    await open_case(desk_core, "333", Priority.URGENT, clock())
    day = await figures(desk_core, clock())
    assert day.by_category == (("", 2), ("🧒 Trẻ em", 1))


async def test_median_and_p90_of_the_first_replies_in_minutes(
    desk_core: Core, clock: Clock
) -> None:
    for i, minutes in enumerate([1, 2, 3, 4, 20]):
        case = await open_case(desk_core, str(100 + i), Priority.NORMAL, clock())
        await answer(desk_core, case, clock() + timedelta(minutes=minutes))
    await open_case(desk_core, "999", Priority.NORMAL, clock())  # not answered: not counted
    day = await figures(desk_core, clock() + timedelta(hours=1))
    assert (day.answered, day.median, day.p90) == (5, 3.0, 20.0)


async def test_messages_waiting_for_a_reader_and_the_oldest_of_them(
    desk_core: Core, clock: Clock
) -> None:
    await open_case(desk_core, "111", Priority.REVIEW, clock())
    await open_case(desk_core, "222", Priority.REVIEW, clock() + timedelta(minutes=5))
    day = await figures(desk_core, clock() + timedelta(minutes=7, seconds=59))
    assert (day.reviews, day.oldest_review) == (2, 7)  # whole minutes, rounded down


async def test_questions_the_assistant_did_not_serve_today(
    desk_core: Core, clock: Clock
) -> None:
    async with desk_core.store.transaction() as tx:
        person = await tx.people.get("telegram", "111")
        await tx.feedback.add_unanswered(person.id, "trợ cấp bao nhiêu", None, NO_ANSWER, clock())
        await tx.feedback.add_rating(person.id, "tro-cap-xa-hoi", False, "ai được nhận", clock())
        await tx.feedback.add_rating(person.id, "tro-cap-xa-hoi", True, "ai được nhận", clock())
    day = await figures(desk_core, clock())
    assert (day.unanswered, day.unhelpful) == (1, 1)


async def test_an_empty_day(desk_core: Core, clock: Clock) -> None:
    day = await figures(desk_core, clock())
    assert day == DayFigures(
        total=0, by_priority=dict.fromkeys(Priority, 0), by_category=(), waiting=0, reviews=0,
        oldest_review=None, median=None, p90=None, answered=0, unanswered=0, unhelpful=0,
    )


async def test_queue_rows_keep_the_queue_order_with_minutes_and_labels(
    desk_core: Core, clock: Clock
) -> None:
    await open_case(desk_core, "111", Priority.NORMAL, clock(), topic="tre_em")
    await open_case(desk_core, "222", Priority.CRITICAL, clock() + timedelta(minutes=2),
                    category="suicide")
    async with desk_core.store.transaction() as tx:
        waiting = await tx.cases.waiting()
    rows = queue_rows(waiting, clock() + timedelta(minutes=3, seconds=59),
                      lambda c: case_label(desk_core.services, c))
    assert [(r.case.id, r.minutes, r.category) for r in rows] == [
        (2, 1, "Tự tử, tự gây thương tích"),
        (1, 3, "🧒 Trẻ em"),
    ]


def test_the_stats_template_says_khac_for_cases_without_a_label(desk_core: Core) -> None:
    day = DayFigures(
        total=3, by_priority={Priority.NORMAL: 3}, by_category=(("", 2), ("🧒 Trẻ em", 1)),
        waiting=0, reviews=0, oldest_review=None, median=None, p90=None, answered=0,
        unanswered=0, unhelpful=0,
    )
    text = desk_core.services.render.render("staff_stats", day=day)
    assert "Theo loại: khác 2, 🧒 Trẻ em 1." in text
    assert "Hôm nay: 3 ca (khẩn cấp 0, cần hỗ trợ sớm 0, cần đọc 0, thường 3)." in text
