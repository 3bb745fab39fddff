"""What supervisors and counsellors read: the queue, and today's figures; what the
knowledge-base editors read: the questions it did not serve (`hotline kb gaps`)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flows.cases import Case
from flows.messages import Priority
from flows.ports import Services
from flows.store import NO_ANSWER, UNHELPFUL, WHICH, GapQuestion

if TYPE_CHECKING:
    from flows.counsellor import StaffTurn


def queue_text(turn: StaffTurn, waiting: Sequence[Case]) -> str:
    rows = [
        {"case": c, "minutes": int((turn.now - c.created_at).total_seconds() // 60),
         "category": case_label(turn.services, c)}
        for c in waiting
    ]
    return turn.text("staff_queue", rows=rows)


def case_label(services: Services, case: Case) -> str:
    """What a case is about, for staff: the triage category, else the topic chosen at intake."""
    if case.category and services.triage is not None:
        return services.triage.category_label(case.category)
    return services.render.label(f"topic_{case.topic}") if case.topic else ""


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(q * (len(ordered) - 1)))))]


async def stats_text(turn: StaffTurn) -> str:
    tz = turn.services.staff.office_hours.tz
    local = turn.now.astimezone(tz)
    midnight = datetime(local.year, local.month, local.day, tzinfo=tz)
    today = await turn.tx.cases_since(midnight)
    gaps = await turn.tx.gap_counts(midnight)
    waiting = await turn.tx.cases_waiting()
    reviews = [c for c in waiting if c.priority is Priority.REVIEW]
    waits = [
        (c.first_reply_at - c.created_at).total_seconds() / 60
        for c in today if c.first_reply_at is not None
    ]
    return turn.text(
        "staff_stats",
        total=len(today),
        by_priority=Counter(c.priority.value for c in today),
        by_category=Counter(case_label(turn.services, c) or "khác" for c in today),
        waiting=len(waiting),
        reviews=len(reviews),
        oldest_review=max((int((turn.now - c.created_at).total_seconds() // 60) for c in reviews),
                          default=None),
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
