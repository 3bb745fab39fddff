"""A period's figures (flows/period_report.py) over a database filled with known cases,
through the real store (SQLite file) and, where it matters, the flows' own paths: leaving
the queue, a counsellor's claim and close. Fixed dates in November 2026, Hà Nội time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import Core
from flows.cases import CaseStatus
from flows.messages import Priority
from flows.period import (
    Period,
    PeriodError,
    checked_period,
    matches,
    report_rules,
)
from flows.period_report import Bar, PeriodFigures, figures_of, read_period
from flows.store import NO_ANSWER, WHICH, PeriodRecord
from tests.conftest import Clock
from tests.factories import make_incoming
from tests.factories_staff import staff

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30), HANOI)
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=HANOI)  # when the report is made


def hanoi(day: int, hour: int = 10, minute: int = 0, *, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=HANOI)


async def seed(
    core: Core, at: datetime, *, user: str = "", priority: Priority = Priority.NORMAL,
    category: str | None = None, topic: str = "", channel: str = "telegram",
    claimed: float | None = None, replied: float | None = None, counsellor: int = 5001,
    outcome: str | None = None, cancelled: float | None = None, rating: int | None = None,
) -> int:
    """One case opened at `at`; `claimed`, `replied` and `cancelled` are seconds after that.
    A case with an outcome is closed an hour after it opened."""
    async with core.store.transaction() as tx:
        person = await tx.people.get(channel, user or f"u{at.timestamp()}-{priority}")
        case = await tx.cases.create(person.id, priority, at, category=category, topic=topic)
        if claimed is not None:
            assert await tx.cases.claim(case.id, counsellor, at + timedelta(seconds=claimed))
        if replied is not None:
            await tx.cases.mark_first_reply(case.id, at + timedelta(seconds=replied))
        if outcome is not None:
            await tx.cases.set_status(case.id, CaseStatus.CLOSED, at + timedelta(hours=1),
                                      outcome=outcome)
        if cancelled is not None:
            await tx.cases.set_status(case.id, CaseStatus.CANCELLED,
                                      at + timedelta(seconds=cancelled))
        if rating is not None:
            await tx.cases.update(case.id, details={"rating": rating})
        return case.id


async def figures(core: Core, period: Period = NOVEMBER,
                  now: datetime = NOW) -> tuple[PeriodFigures, PeriodRecord]:
    record = await read_period(core.store.views, period)
    rules = report_rules(core.services.staff, HANOI, now)
    return figures_of(record, period, rules), record


def counts(bars: tuple[Bar, ...]) -> list[tuple[str, int]]:
    return [(b.key, b.count) for b in bars]


async def test_first_reply_p50_and_p90_per_iso_week_and_over_the_period(
    desk_core: Core,
) -> None:
    week45 = [1, 2, 3, 4, 20]  # minutes; opened Monday 2 to Friday 6 November
    for n, minutes in enumerate(week45):
        await seed(desk_core, hanoi(2 + n), claimed=30, replied=minutes * 60)
    for n, minutes in enumerate([5, 10]):  # Monday 9 and Tuesday 10 November
        await seed(desk_core, hanoi(9 + n), claimed=30, replied=minutes * 60)
    await seed(desk_core, hanoi(11))  # never answered: counted nowhere

    f, _ = await figures(desk_core)

    assert [(w.week, w.start, w.end, w.answered, w.p50, w.p90) for w in f.weeks] == [
        ("2026-W44", date(2026, 11, 1), date(2026, 11, 1), 0, None, None),  # Sunday 1st only
        ("2026-W45", date(2026, 11, 2), date(2026, 11, 8), 5, 3.0, 20.0),
        ("2026-W46", date(2026, 11, 9), date(2026, 11, 15), 2, 7.5, 10.0),
        ("2026-W47", date(2026, 11, 16), date(2026, 11, 22), 0, None, None),
        ("2026-W48", date(2026, 11, 23), date(2026, 11, 29), 0, None, None),
        ("2026-W49", date(2026, 11, 30), date(2026, 11, 30), 0, None, None),  # Monday 30th
    ]
    assert (f.answered, f.p50, f.p90) == (7, 4.0, 10.0)  # 1 2 3 4 5 10 20


async def test_sla_is_met_when_a_counsellor_claims_within_the_watch_s_alert_delay(
    desk_core: Core,
) -> None:
    staff_settings = desk_core.services.staff
    assert (staff_settings.critical_alert_after, staff_settings.urgent_alert_after,
            staff_settings.abandon_after) == (60, 300, 1800)
    met = [await seed(desk_core, hanoi(3), priority=Priority.CRITICAL, claimed=45),
           await seed(desk_core, hanoi(4), priority=Priority.URGENT, claimed=300),  # exactly
           await seed(desk_core, hanoi(5), claimed=25 * 60)]
    missed = [await seed(desk_core, hanoi(3, 11), priority=Priority.CRITICAL, claimed=61),
              await seed(desk_core, hanoi(6), priority=Priority.CRITICAL),  # still waiting
              await seed(desk_core, hanoi(6, 11), claimed=40 * 60),
              await seed(desk_core, hanoi(7), priority=Priority.REVIEW, cancelled=31 * 60)]
    await seed(desk_core, hanoi(8), priority=Priority.URGENT, cancelled=100)  # left in time
    await seed(desk_core, hanoi(30, 23, 55), priority=Priority.REVIEW)  # waiting 5 min
    report_time = hanoi(30, 23, 59)

    f, _ = await figures(desk_core, now=report_time)

    rows = {r.priority: (r.met.count, r.missed.count, r.share) for r in f.sla}
    assert rows == {Priority.CRITICAL: (1, 2, 1 / 3), Priority.URGENT: (1, 0, 1.0),
                    Priority.REVIEW: (0, 1, 0.0), Priority.NORMAL: (1, 1, 0.5)}
    assert sorted(i for r in f.sla for i in r.met.case_ids) == sorted(met)
    assert sorted(i for r in f.sla for i in r.missed.case_ids) == sorted(missed)
    assert [r.target_seconds for r in f.sla] == [60, 300, 1800, 1800]


async def test_a_case_belongs_to_its_day_in_hanoi_not_in_utc(desk_core: Core) -> None:
    late = await seed(desk_core, hanoi(10, 23, 59))  # 16:59 UTC on the 10th
    early = await seed(desk_core, hanoi(11, 0, 1))  # 17:01 UTC, still the 10th in UTC
    await seed(desk_core, hanoi(31, 23, 59, month=10))  # before the period
    last = await seed(desk_core, hanoi(30, 23, 59))
    await seed(desk_core, datetime(2026, 12, 1, 0, 1, tzinfo=HANOI))  # 30 November in UTC

    f, record = await figures(desk_core)

    days = {b.key: b.case_ids for b in f.per_day}
    assert days["2026-11-10"] == (late,) and days["2026-11-11"] == (early,)
    assert days["2026-11-30"] == (last,)
    assert f.total == 3 and [c.id for c in record.cases] == [late, early, last]
    assert len(f.per_day) == 30 and f.per_day[0].key == "2026-11-01"
    assert f.previous_total == 1  # October's case


async def seed_month(core: Core) -> dict[str, Any]:
    """A small November: two people on Zalo, the rest on Telegram."""
    return {
        "suicide": await seed(core, hanoi(2), priority=Priority.CRITICAL, category="suicide",
                              claimed=30, replied=60, outcome="can thiệp khẩn cấp", rating=5),
        "child": await seed(core, hanoi(3), priority=Priority.URGENT, category="child_abuse",
                            channel="zalo", user="z1", claimed=200, replied=400,
                            counsellor=5002, outcome="chuyển tuyến", rating=4),
        "elder": await seed(core, hanoi(4), category="elder_abuse", topic="nguoi_cao_tuoi",
                            claimed=60, replied=120, outcome="chuyển tuyến", rating=4),
        "old": await seed(core, hanoi(5), topic="nguoi_cao_tuoi", user="t1", claimed=60,
                          replied=180, outcome="đã tư vấn"),
        "old_again": await seed(core, hanoi(12), topic="nguoi_cao_tuoi", user="t1",
                                claimed=90, replied=240, outcome="đã tư vấn"),
        "kid": await seed(core, hanoi(6), topic="tre_em", channel="zalo", user="z2",
                          cancelled=120),
        "disabled": await seed(core, hanoi(7), topic="nguoi_khuyet_tat", claimed=60),
        "unknown": await seed(core, hanoi(8), priority=Priority.REVIEW),
    }


async def test_counts_by_subject_priority_group_channel_status_outcome_and_counsellor(
    desk_core: Core,
) -> None:
    ids = await seed_month(desk_core)

    f, _ = await figures(desk_core)

    assert f.total == 8
    assert counts(f.by_priority) == [("critical", 1), ("urgent", 1), ("review", 1),
                                     ("normal", 5)]
    assert counts(f.by_category) == [
        ("topic:nguoi_cao_tuoi", 2), ("category:child_abuse", 1), ("category:elder_abuse", 1),
        ("category:suicide", 1), ("topic:nguoi_khuyet_tat", 1), ("topic:tre_em", 1),
        ("", 1)]  # the most first; ties by key; nothing known last
    assert counts(f.by_group) == [("children", 2), ("elderly", 2), ("disabled", 1),
                                  ("elderly_or_disabled", 1), ("not_recorded", 2)]
    assert counts(f.by_channel) == [("telegram", 6), ("zalo", 2)]
    assert counts(f.by_status) == [("waiting", 1), ("active", 1), ("closed", 5),
                                   ("cancelled", 1)]
    assert counts(f.by_outcome) == [("chuyển tuyến", 2), ("đã tư vấn", 2),
                                    ("can thiệp khẩn cấp", 1)]
    assert counts(f.by_counsellor) == [("5001", 5), ("5002", 1)]
    assert f.emergencies.case_ids == (ids["suicide"], ids["child"])
    assert f.referrals.case_ids == (ids["child"], ids["elder"])
    assert f.abandoned.case_ids == (ids["kid"],)
    assert (f.people, f.people_helped) == (7, 5)  # t1 twice; z2 left, "unknown" waits
    assert (f.ratings.count, f.ratings.mean) == (3, pytest.approx(13 / 3))
    assert counts(f.ratings.stars) == [("1", 0), ("2", 0), ("3", 0), ("4", 2), ("5", 1)]


def every_bar(f: PeriodFigures) -> list[Bar]:
    return [*f.per_day, *f.by_priority, *f.by_category, *f.by_group, *f.by_channel,
            *f.by_status, *f.by_outcome, *f.by_counsellor, *f.ratings.stars, f.abandoned,
            f.emergencies, f.referrals, *(b for r in f.sla for b in (r.met, r.missed))]


async def test_every_bar_s_filters_find_exactly_the_cases_behind_it(desk_core: Core) -> None:
    await seed_month(desk_core)
    await seed(desk_core, hanoi(10, 23, 59), priority=Priority.CRITICAL)
    await seed(desk_core, hanoi(11, 0, 1), priority=Priority.CRITICAL, claimed=59)
    f, record = await figures(desk_core)
    rules = report_rules(desk_core.services.staff, HANOI, NOW)

    for bar in every_bar(f):
        found = tuple(c.id for c in record.cases if matches(c, bar.filters, rules))
        assert found == bar.case_ids, bar
        assert dict(bar.filters)["from"] <= dict(bar.filters)["to"]
    for week in f.weeks:
        found = tuple(c.id for c in record.cases if matches(c, week.filters, rules))
        assert found == week.case_ids, week
    assert dict(f.by_priority[0].filters) == {"from": "2026-11-01", "to": "2026-11-30",
                                              "priority": "critical"}
    assert not any(matches(c, (("priorty", "critical"),), rules) for c in record.cases)


async def test_leaving_the_queue_and_a_referral_through_the_flows_are_counted(
    desk_core: Core, clock: Clock,
) -> None:
    d = desk_core.dispatcher
    for user in ("111", "222"):
        await d.handle(make_incoming(button="menu:counsellor", user=user))
        await d.handle(make_incoming(button="privacy:agree", user=user))
        await d.handle(make_incoming(button="ho:topic:tre_em", user=user))
        await d.handle(make_incoming("con tôi bị bắt nạt ở trường", user=user))
    clock.advance(120)
    await d.handle(make_incoming("/huy", user="111"))  # case 1: left the queue
    await desk_core.store.cases.set_thread(2, "77")
    await desk_core.desk.handle(staff(5001, button="case:claim:2"))
    await desk_core.desk.handle(staff(5001, "Chào em, chị là Hoa.", thread="77"))
    await desk_core.desk.handle(staff(5001, "/dong 2", thread="77"))  # "chuyển tuyến"
    today = clock().astimezone(HANOI).date()  # a Monday

    f, _ = await figures(desk_core, checked_period(today, today + timedelta(days=6), HANOI),
                         now=clock())

    assert f.abandoned.case_ids == (1,) and f.referrals.case_ids == (2,)
    assert (f.people, f.people_helped) == (2, 1)
    assert counts(f.by_group)[0] == ("children", 2)
    assert (f.answered, f.p50) == (1, 2.0)  # claimed and answered two minutes after opening


async def test_answer_votes_and_unanswered_questions_of_the_period(desk_core: Core) -> None:
    async with desk_core.store.transaction() as tx:
        person = await tx.people.get("telegram", "9")
        for helpful in (True, True, False):
            await tx.feedback.add_rating(person.id, "tro-cap", helpful, "hỏi", hanoi(15))
        await tx.feedback.add_rating(person.id, "tro-cap", False, "hỏi", hanoi(1, 0, 0, month=12))
        await tx.feedback.add_unanswered(person.id, "hỏi", None, NO_ANSWER, hanoi(16))
        await tx.feedback.add_unanswered(person.id, "hỏi", None, WHICH, hanoi(17))
        await tx.feedback.add_unanswered(person.id, "hỏi", None, WHICH, hanoi(18))
    f, _ = await figures(desk_core)
    fb = f.feedback
    assert (fb.helpful, fb.unhelpful, fb.no_answer, fb.which, fb.unanswered) == (2, 1, 1, 2, 3)


async def test_an_empty_period_has_every_day_and_level_at_zero(desk_core: Core) -> None:
    f, record = await figures(desk_core)
    assert record.cases == () and f.total == 0 and f.previous_total is None
    assert [b.count for b in f.per_day] == [0] * 30
    assert counts(f.by_priority) == [(p.value, 0) for p in Priority]
    assert f.by_category == () and f.by_outcome == () and f.by_counsellor == ()
    assert (f.answered, f.p50, f.p90, f.ratings.mean) == (0, None, None, None)
    assert all(r.share is None for r in f.sla) and f.abandoned.count == 0


def test_a_period_is_compared_with_the_calendar_month_or_as_many_days_before() -> None:
    assert NOVEMBER.kind == "month" and NOVEMBER.previous() == Period(
        date(2026, 10, 1), date(2026, 10, 31), HANOI)
    week = Period(date(2026, 11, 23), date(2026, 11, 29), HANOI)
    assert week.kind == "week" and week.previous().start == date(2026, 11, 16)
    ten = Period(date(2026, 11, 5), date(2026, 11, 14), HANOI)
    assert ten.kind == "days" and ten.previous() == Period(
        date(2026, 10, 26), date(2026, 11, 4), HANOI)
    assert Period(date(2026, 3, 1), date(2026, 3, 1), HANOI).kind == "day"


def test_a_period_longer_than_a_year_or_backwards_is_refused_not_cut() -> None:
    start = date(2016, 1, 1)
    with pytest.raises(PeriodError, match="is 3653 days long; a report covers at most 366"):
        checked_period(start, date(2025, 12, 31), HANOI)
    assert checked_period(date(2024, 1, 1), date(2024, 12, 31), HANOI).days == 366
    with pytest.raises(PeriodError, match="367 days"):
        checked_period(date(2025, 1, 1), date(2026, 1, 2), HANOI)
    with pytest.raises(PeriodError, match="ends .2026-11-01. before it starts"):
        checked_period(date(2026, 11, 2), date(2026, 11, 1), HANOI)
    first, last = NOVEMBER.bounds()
    assert (first.isoformat(), last.isoformat()) == ("2026-11-01T00:00:00+07:00",
                                                     "2026-12-01T00:00:00+07:00")
