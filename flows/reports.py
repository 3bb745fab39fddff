"""What supervisors and counsellors read: the queue, and today's figures."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from flows.cases import Case
from flows.messages import Priority
from flows.ports import Services

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
    )
