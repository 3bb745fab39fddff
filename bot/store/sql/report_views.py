"""The read side of the period reports (flows/period_report.py): one period's cases and
counts, in portable SQL, each statement bounded by the period's instants (indexed:
cases_created, answer_feedback_created, unanswered_questions_created)."""

from __future__ import annotations

from datetime import datetime

from bot.store.sql.rows import CASE_SELECT, Executor, _case, ts
from flows.store import UNANSWERED_KINDS, PeriodRecord


class PeriodSql:
    def __init__(self, ex: Executor) -> None:
        self.ex = ex

    async def period(
        self, start: datetime, end: datetime, previous_start: datetime
    ) -> PeriodRecord:
        rows = await self.ex.fetch(
            f"{CASE_SELECT} WHERE c.created_at >= ? AND c.created_at < ?"
            " ORDER BY c.created_at, c.id",
            (ts(start), ts(end)),
        )
        before = await self.ex.fetch(
            "SELECT (SELECT count(*) FROM cases WHERE created_at >= ? AND created_at < ?),"
            " (SELECT min(created_at) FROM cases WHERE created_at < ?)",
            (ts(previous_start), ts(start), ts(start)),
        )
        votes = await self.ex.fetch(
            "SELECT helpful, count(*) FROM answer_feedback"
            " WHERE created_at >= ? AND created_at < ? GROUP BY helpful",
            (ts(start), ts(end)),
        )
        asked = await self.ex.fetch(
            "SELECT kind, count(*) FROM unanswered_questions"
            " WHERE created_at >= ? AND created_at < ? GROUP BY kind",
            (ts(start), ts(end)),
        )
        helpful = {bool(r[0]): int(r[1]) for r in votes}
        unanswered = {str(r[0]): int(r[1]) for r in asked}
        return PeriodRecord(
            cases=tuple(_case(r) for r in rows),
            previous=int(before[0][0]) if before[0][1] is not None else None,
            helpful=helpful.get(True, 0),
            unhelpful=helpful.get(False, 0),
            unanswered=tuple((kind, unanswered.get(kind, 0)) for kind in UNANSWERED_KINDS),
        )
