"""What supervisors and counsellors read: the queue, and today's figures; what the
knowledge-base editors read: the questions it did not serve (`hotline kb gaps`).

Reports are data: the staff desk's templates and the supervisors' console render the same
figures, so nothing here renders text or knows who asked."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from flows.cases import Case
from flows.messages import Priority
from flows.ports import Services
from flows.store import NO_ANSWER, UNHELPFUL, WHICH, GapCounts, GapQuestion, Views

CaseLabel = Callable[[Case], str]


def case_label(services: Services, case: Case) -> str:
    """What a case is about, for staff: the triage category, else the topic chosen at intake."""
    if case.category and services.triage is not None:
        return services.triage.category_label(case.category)
    return services.render.label(f"topic_{case.topic}") if case.topic else ""


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(q * (len(ordered) - 1)))))]


def minutes_waiting(case: Case, now: datetime) -> int:
    """Whole minutes since the case was opened (rounded down: 59 s is 0 minutes, which the
    staff templates say as "chưa tới 1 phút", never "0 phút": staff_words.j2 `waited`)."""
    return minutes_since(case.created_at, now)


def minutes_since(at: datetime, now: datetime) -> int:
    """Whole minutes from `at` to `now`, rounded down."""
    return int((now - at).total_seconds() // 60)


# ---------------------------------------------------------------- the queue


@dataclass(frozen=True)
class QueueRow:
    """One waiting case as staff see it in the queue."""

    case: Case
    minutes: int  # waited so far, whole minutes
    category: str  # what it is about (`case_label`); "" when nothing is known


def queue_rows(cases: Sequence[Case], now: datetime, label: CaseLabel) -> tuple[QueueRow, ...]:
    """The waiting cases in the order given (the store's: priority, then waiting time)."""
    return tuple(QueueRow(c, minutes_waiting(c, now), label(c)) for c in cases)


# ---------------------------------------------------------------- the cases being worked


@dataclass(frozen=True)
class ActiveRow:
    """One case a counsellor has, as staff see it in /dangxuly."""

    case: Case
    minutes: int  # since the counsellor took it, whole minutes
    category: str  # `case_label`; "" when nothing is known
    tags: tuple[str, ...]


@dataclass(frozen=True)
class OwnerCases:
    """The active cases of one counsellor, the most urgent first."""

    staff_id: int | None
    name: str  # display name; "" when the staff list no longer names them
    rows: tuple[ActiveRow, ...]


@dataclass(frozen=True)
class ActiveDesk:
    """Who works which case now, and how many wait for someone."""

    owners: tuple[OwnerCases, ...]  # in the staff list's order; unknown owners last
    active: int
    waiting: int


def active_desk(
    active: Sequence[Case], waiting: int, now: datetime, label: CaseLabel,
    names: Mapping[int, str], tags: Mapping[int, Sequence[str]],
) -> ActiveDesk:
    """The active cases grouped by the counsellor who has them; `names` is the staff list
    (staff id -> display name, in its order)."""
    by_owner: dict[int | None, list[Case]] = {}
    for case in active:
        by_owner.setdefault(case.claimed_by, []).append(case)
    order = [i for i in names if i in by_owner] + [i for i in by_owner if i not in names]
    owners = []
    for staff_id in order:
        cases = sorted(by_owner[staff_id],
                       key=lambda c: (c.priority.rank, c.claimed_at or c.created_at, c.id))
        rows = tuple(ActiveRow(c, minutes_since(c.claimed_at or c.created_at, now), label(c),
                               tuple(tags.get(c.id, ()))) for c in cases)
        name = names.get(staff_id, "") if staff_id is not None else ""
        owners.append(OwnerCases(staff_id, name, rows))
    return ActiveDesk(tuple(owners), len(active), waiting)


# ---------------------------------------------------------------- today's figures


@dataclass(frozen=True)
class DayFigures:
    """The cases opened since local midnight, what waits now, and the policy questions of
    the day the assistant did not serve."""

    total: int  # cases opened today
    by_priority: Mapping[Priority, int]  # every level, in queue order; 0 when none
    by_category: tuple[tuple[str, int], ...]  # label ("" when unknown), the most cases first
    waiting: int  # cases waiting now, whenever opened
    reviews: int  # of those, messages the assistant did not understand
    oldest_review: int | None  # minutes the longest-waiting of them has waited
    median: float | None  # minutes to the first reply, over today's answered cases
    p90: float | None
    answered: int  # today's cases with a first reply
    unanswered: int  # policy questions not answered today
    unhelpful: int  # answers rated 👎 today


def local_midnight(now: datetime, tz: tzinfo) -> datetime:
    local = now.astimezone(tz)
    return datetime(local.year, local.month, local.day, tzinfo=tz)


async def day_figures(views: Views, now: datetime, tz: tzinfo, label: CaseLabel) -> DayFigures:
    """Today's figures, "today" being the calendar day of `now` in `tz` (the office's); from
    the store's read side, inside a unit of work (the staff desk) or outside (a console)."""
    day = await views.day(local_midnight(now, tz))
    return figures_of(day.opened, day.waiting, day.gaps, now, label)


def figures_of(
    today: Sequence[Case], waiting: Sequence[Case], gaps: GapCounts, now: datetime,
    label: CaseLabel,
) -> DayFigures:
    """The figures from what the store holds: the cases opened today, those waiting now
    and the day's knowledge-base gaps."""
    reviews = [c for c in waiting if c.priority is Priority.REVIEW]
    waits = [
        (c.first_reply_at - c.created_at).total_seconds() / 60
        for c in today if c.first_reply_at is not None
    ]
    priorities = Counter(c.priority for c in today)
    return DayFigures(
        total=len(today),
        by_priority={p: priorities[p] for p in Priority},
        by_category=tuple(Counter(label(c) for c in today).most_common()),
        waiting=len(waiting),
        reviews=len(reviews),
        oldest_review=max((minutes_waiting(c, now) for c in reviews), default=None),
        median=statistics.median(waits) if waits else None,
        p90=percentile(waits, 0.9) if waits else None,
        answered=len(waits),
        unanswered=gaps.unanswered,
        unhelpful=gaps.unhelpful,
    )


# ---------------------------------------------------------------- knowledge-base gaps

GAP_KINDS = {UNHELPFUL: "rated 👎", WHICH: "asked which article", NO_ANSWER: "not answered"}


@dataclass(frozen=True)
class GapLine:
    """One masked question text and how often it came, with what happened to it."""

    text: str
    count: int
    kinds: tuple[str, ...]  # in the order of GAP_KINDS


@dataclass(frozen=True)
class GapGroup:
    """The questions nearest to one article (None: no article was near)."""

    article_id: str | None
    total: int
    by_kind: Mapping[str, int]
    lines: tuple[GapLine, ...]


def gap_groups(
    questions: Sequence[GapQuestion], masked: Callable[[GapQuestion], str]
) -> list[GapGroup]:
    """Group by article, the largest groups first (ties: by article id, "no article" last);
    in each, one line per masked text (spaces collapsed), the most frequent first, then in
    the order they were first asked."""
    groups: dict[str | None, list[tuple[GapQuestion, str]]] = {}
    for q in questions:
        groups.setdefault(q.article_id, []).append((q, " ".join(masked(q).split())))
    out = []
    for article_id, items in groups.items():
        counts: Counter[str] = Counter(text for _, text in items)
        kinds: dict[str, set[str]] = {}
        for q, text in items:
            kinds.setdefault(text, set()).add(q.kind)
        lines = tuple(
            GapLine(text, counts[text], tuple(k for k in GAP_KINDS if k in kinds[text]))
            for text in sorted(counts, key=lambda t: -counts[t])  # stable: first asked first
        )
        by_kind = Counter(q.kind for q, _ in items)
        out.append(GapGroup(article_id, len(items), by_kind, lines))
    return sorted(out, key=lambda g: (-g.total, g.article_id is None, g.article_id or ""))


def gap_lines(
    groups: Sequence[GapGroup], since: str, titles: Mapping[str, str], limit: int
) -> list[str]:
    """The gaps report in English: a heading, then at most `limit` articles with at most
    `limit` question lines each."""

    def kinds(by_kind: Mapping[str, int]) -> str:
        return ", ".join(f"{by_kind[k]} {label}" for k, label in GAP_KINDS.items()
                         if by_kind.get(k))

    total = Counter[str]()
    for group in groups:
        total.update(group.by_kind)
    if not groups:
        return [f"No unanswered or 👎-rated questions since {since}."]
    out = [f"Questions the knowledge base did not serve since {since}:"
           f" {sum(total.values())} ({kinds(total)})"]
    for group in groups[:limit]:
        if group.article_id is None:
            name = "(no article)"
        else:
            title = titles.get(group.article_id)
            name = f"{group.article_id} " + (
                f'"{title}"' if title is not None else "(no longer in the knowledge base)")
        out += ["", f"{name}: {group.total} ({kinds(group.by_kind)})"]
        for line in group.lines[:limit]:
            text = line.text or "(no question text)"
            out.append(f"  {line.count}x  {text}  [{', '.join(GAP_KINDS[k] for k in line.kinds)}]")
        if len(group.lines) > limit:
            out.append(f"  … and {len(group.lines) - limit} more different questions")
    if len(groups) > limit:
        out += ["", f"… and {len(groups) - limit} more articles (--limit to see more)"]
    return out
