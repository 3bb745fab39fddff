"""A period's figures, for the supervisors (the console's report pages) and for the monthly
report a centre sends to its provincial department: data only, nothing rendered.

Every bar of a figure says which cases are behind it twice: as `filters` (flows/period.py,
the console's case search) and as their ids. Definitions, in one place:

- a case belongs to the local day (`hotline.timezone`) it was opened on; its priority,
  category, status and outcome are read as they stand now (after counsellors' corrections);
- time to the first counsellor reply: from opening to the first message a counsellor wrote
  to the person; median (p50) and p90 as /thongke computes them (flows/reports.py), per ISO
  week (Monday to Sunday) of the opening day, cut to the period;
- SLA met: claimed within the priority's target (`flows.period.sla_targets`: the case
  watch's alert delays); a case that left or is still waiting inside its target is not
  counted either way;
- abandoned wait: the person left the queue before a counsellor took the case;
- emergency reception: a case at critical or urgent; referral: closed with the outcome
  "chuyển tuyến"; people helped: distinct people whose case a counsellor took (a person is
  one per channel: the same human on Telegram and Zalo counts twice);
- group of people: read from the intake topic and the triage category (`group_of`): cases
  record no such field;
- ratings: of the cases opened in the period; 👍/👎 and unanswered questions: given or asked
  in the period.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from flows.cases import Case, CaseStatus
from flows.messages import Priority
from flows.period import (
    GROUPS,
    NONE,
    REFERRAL,
    YES,
    Filters,
    Period,
    ReportRules,
    abandoned,
    emergency,
    first_reply_minutes,
    group_of,
    rating,
    sla_state,
    subject,
)
from flows.reports import percentile
from flows.store import NO_ANSWER, WHICH, PeriodRecord, Views


@dataclass(frozen=True)
class Bar:
    """One bar: what it counts (an id the renderer labels: a date, a priority, a category
    filter…; "" when unknown), how many cases, and the cases behind it."""

    key: str
    count: int
    filters: Filters
    case_ids: tuple[int, ...]


@dataclass(frozen=True)
class WeekResponse:
    """Minutes to the first counsellor reply for the cases opened in one ISO week."""

    week: str  # ISO week, "2026-W48"
    start: date  # the week's days inside the period
    end: date
    answered: int
    p50: float | None
    p90: float | None
    filters: Filters  # the week's replied cases
    case_ids: tuple[int, ...]


@dataclass(frozen=True)
class SlaRow:
    priority: Priority
    target_seconds: float
    met: Bar
    missed: Bar

    @property
    def counted(self) -> int:
        return self.met.count + self.missed.count

    @property
    def share(self) -> float | None:
        """Met, as a fraction of the cases counted; None when none were."""
        return self.met.count / self.counted if self.counted else None


@dataclass(frozen=True)
class Ratings:
    count: int
    mean: float | None
    stars: tuple[Bar, ...]  # 1 to 5


@dataclass(frozen=True)
class AnswerFeedback:
    helpful: int  # 👍 on policy answers
    unhelpful: int  # 👎
    no_answer: int  # questions the bot declined
    which: int  # questions where it had to ask which article was meant

    @property
    def unanswered(self) -> int:
        return self.no_answer + self.which


@dataclass(frozen=True)
class PeriodFigures:
    period: Period
    total: int  # cases opened in the period
    previous: Period
    previous_total: int | None  # None: no case had ever been opened before the period
    per_day: tuple[Bar, ...]  # every day of the period, in order
    by_priority: tuple[Bar, ...]  # every level, in queue order
    by_category: tuple[Bar, ...]  # "category:<id>", "topic:<id>", "" (unknown); most first
    by_group: tuple[Bar, ...]  # every group of GROUPS, in that order
    by_channel: tuple[Bar, ...]  # most first
    by_status: tuple[Bar, ...]  # every status
    by_outcome: tuple[Bar, ...]  # closed cases; key: the outcome ("" none); most first
    by_counsellor: tuple[Bar, ...]  # cases a counsellor holds; key: staff id; most first
    answered: int  # cases with a first counsellor reply
    p50: float | None  # minutes, over the whole period
    p90: float | None
    weeks: tuple[WeekResponse, ...]
    sla: tuple[SlaRow, ...]  # every level
    abandoned: Bar
    emergencies: Bar
    referrals: Bar
    people: int  # distinct people with a case
    people_helped: int  # distinct people whose case a counsellor took
    ratings: Ratings
    feedback: AnswerFeedback


async def read_period(views: Views, period: Period) -> PeriodRecord:
    """What the figures are computed from, read for the period (and its previous one's
    count) only."""
    start, end = period.bounds()
    return await views.period(start, end, period.previous().bounds()[0])


def figures_of(record: PeriodRecord, period: Period, rules: ReportRules) -> PeriodFigures:
    cases = record.cases
    base = period.filters()
    answered = [c for c in cases if c.first_reply_at is not None]
    minutes = [m for c in answered if (m := first_reply_minutes(c)) is not None]
    helped = {c.person_id for c in cases if c.claimed_at is not None}
    unanswered = dict(record.unanswered)
    return PeriodFigures(
        period=period,
        total=len(cases),
        previous=period.previous(),
        previous_total=record.previous,
        per_day=_per_day(cases, period),
        by_priority=_counted(cases, base, "priority", lambda c: c.priority.value,
                             order=[p.value for p in Priority]),
        by_category=_by_subject(cases, base),
        by_group=_counted(cases, base, "group", group_of, order=GROUPS),
        by_channel=_counted(cases, base, "channel", lambda c: c.channel),
        by_status=_counted(cases, base, "status", lambda c: c.status.value,
                           order=[s.value for s in CaseStatus]),
        by_outcome=_counted([c for c in cases if c.status is CaseStatus.CLOSED], base,
                            "outcome", lambda c: c.outcome or "",
                            extra=(("status", CaseStatus.CLOSED.value),)),
        by_counsellor=_counted([c for c in cases if c.claimed_by is not None], base,
                               "counsellor", lambda c: str(c.claimed_by)),
        answered=len(minutes),
        p50=statistics.median(minutes) if minutes else None,
        p90=percentile(minutes, 0.9) if minutes else None,
        weeks=_weeks(answered, period),
        sla=tuple(_sla(cases, base, p, rules) for p in Priority),
        abandoned=_bar("", [c for c in cases if abandoned(c)], (*base, ("abandoned", YES))),
        emergencies=_bar("", [c for c in cases if emergency(c)], (*base, ("emergency", YES))),
        referrals=_bar("", [c for c in cases if c.status is CaseStatus.CLOSED
                            and c.outcome == REFERRAL],
                       (*base, ("status", CaseStatus.CLOSED.value), ("outcome", REFERRAL))),
        people=len({c.person_id for c in cases}),
        people_helped=len(helped),
        ratings=_ratings(cases, base),
        feedback=AnswerFeedback(record.helpful, record.unhelpful,
                                unanswered.get(NO_ANSWER, 0), unanswered.get(WHICH, 0)),
    )


def _bar(key: str, cases: Sequence[Case], filters: Filters) -> Bar:
    return Bar(key, len(cases), filters, tuple(c.id for c in cases))


def _subject_key(filters: Filters) -> str:
    """"category:suicide", "topic:tre_em", or "" when nothing is known."""
    values = dict(filters)
    if values.get("category", NONE) != NONE:
        return f"category:{values['category']}"
    return f"topic:{values['topic']}" if values.get("topic", NONE) != NONE else ""


def _ranked(groups: dict[str, list[Case]]) -> list[str]:
    """The most cases first; ties by key, the unknown "" last."""
    return sorted(groups, key=lambda k: (-len(groups[k]), k == "", k))


def _counted(
    cases: Iterable[Case], base: Filters, field: str, value: Callable[[Case], str], *,
    order: Sequence[str] | None = None, extra: Filters = (),
) -> tuple[Bar, ...]:
    """One bar per value of one field: every value of `order` in it (0 when no case has
    it), else the values found, most cases first. "" is filtered as `none`."""
    groups: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        groups[value(case)].append(case)
    keys = list(order) if order is not None else _ranked(groups)
    return tuple(_bar(k, groups.get(k, []), (*base, *extra, (field, k or NONE))) for k in keys)


def _by_subject(cases: Iterable[Case], base: Filters) -> tuple[Bar, ...]:
    groups: dict[str, list[Case]] = defaultdict(list)
    filters: dict[str, Filters] = {}
    for case in cases:
        where = subject(case)
        key = _subject_key(where)
        groups[key].append(case)
        filters[key] = where
    return tuple(_bar(k, groups[k], (*base, *filters[k])) for k in _ranked(groups))


def _per_day(cases: Sequence[Case], period: Period) -> tuple[Bar, ...]:
    days: dict[date, list[Case]] = defaultdict(list)
    for case in cases:
        days[period.day_of(case.created_at)].append(case)
    return tuple(_bar(d.isoformat(), days.get(d, []),
                      (("from", d.isoformat()), ("to", d.isoformat())))
                 for d in period.dates())


def _weeks(answered: Sequence[Case], period: Period) -> tuple[WeekResponse, ...]:
    by_week: dict[date, list[Case]] = defaultdict(list)
    for case in answered:
        day = period.day_of(case.created_at)
        by_week[day - timedelta(days=day.weekday())].append(case)
    out = []
    monday = period.start - timedelta(days=period.start.weekday())
    while monday <= period.end:
        start, end = max(monday, period.start), min(monday + timedelta(days=6), period.end)
        week = by_week.get(monday, [])
        minutes = [m for c in week if (m := first_reply_minutes(c)) is not None]
        year, number, _ = monday.isocalendar()
        out.append(WeekResponse(
            week=f"{year}-W{number:02d}", start=start, end=end, answered=len(minutes),
            p50=statistics.median(minutes) if minutes else None,
            p90=percentile(minutes, 0.9) if minutes else None,
            filters=(("from", start.isoformat()), ("to", end.isoformat()), ("replied", YES)),
            case_ids=tuple(c.id for c in week)))
        monday += timedelta(days=7)
    return tuple(out)


def _sla(cases: Sequence[Case], base: Filters, priority: Priority,
         rules: ReportRules) -> SlaRow:
    level = [c for c in cases if c.priority is priority]
    states = {c.id: sla_state(c, rules) for c in level}
    where = (*base, ("priority", priority.value))
    return SlaRow(
        priority, rules.sla[priority],
        met=_bar("met", [c for c in level if states[c.id] == "met"], (*where, ("sla", "met"))),
        missed=_bar("missed", [c for c in level if states[c.id] == "missed"],
                    (*where, ("sla", "missed"))),
    )


def _ratings(cases: Sequence[Case], base: Filters) -> Ratings:
    rated = [(c, r) for c in cases if (r := rating(c)) is not None]
    stars = tuple(_bar(str(n), [c for c, r in rated if r == n], (*base, ("rating", str(n))))
                  for n in range(1, 6))
    return Ratings(len(rated), statistics.fmean(r for _, r in rated) if rated else None, stars)
